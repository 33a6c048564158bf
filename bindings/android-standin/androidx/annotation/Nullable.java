/*
 * STAND-IN for androidx.annotation.Nullable (Apache-2.0, AndroidX) - NOT the AndroidX class, and never
 * shipped: sdkbuild compiles the SDK's Java API against it (javac -implicit:none), so classes.jar
 * references androidx.annotation.Nullable like any AndroidX-annotated library while containing none of
 * AndroidX's classes. Apps get the real class from androidx.annotation:annotation (declared in the
 * POM), which Kotlin and Android Lint read as nullability; where it is absent the annotation is
 * ignored. Same retention and targets as the real one.
 */
package androidx.annotation;

import static java.lang.annotation.ElementType.ANNOTATION_TYPE;
import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.LOCAL_VARIABLE;
import static java.lang.annotation.ElementType.METHOD;
import static java.lang.annotation.ElementType.PACKAGE;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.RetentionPolicy.CLASS;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

/** Stand-in of {@code androidx.annotation.Nullable} (see the file comment). */
@Documented
@Retention(CLASS)
@Target({METHOD, PARAMETER, FIELD, LOCAL_VARIABLE, ANNOTATION_TYPE, PACKAGE})
public @interface Nullable {
}
