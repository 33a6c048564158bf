// Calls every native method declared in the given classes once, through reflection, so a
// native that the library does not register fails with UnsatisfiedLinkError (tests/test_jni.py).
// Handles are 0 (the C API rejects NULL handles with an error), objects null, numbers 0:
// the call may throw SdkException, NullPointerException or IllegalArgumentException, never
// UnsatisfiedLinkError.
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

public class NativeResolve {
    static Object zero(Class<?> t) {
        if (t == int.class) return 0;
        if (t == long.class) return 0L;
        if (t == boolean.class) return false;
        if (t == float.class) return 0f;
        if (t == long[].class) return new long[16];
        return null;
    }

    public static void main(String[] args) throws Exception {
        // args[0]: a model path, used to make real receivers for instance natives
        Class<?> modelClass = Class.forName("com.example.jnikit.Model");
        Object model = modelClass.getMethod("load", String.class).invoke(null, args[0]);
        Object session = modelClass.getMethod("newSession").invoke(model);
        int count = 0;
        for (int i = 1; i < args.length; i++) {
            Class<?> c = Class.forName(args[i]);
            for (Method m : c.getDeclaredMethods()) {
                if (!Modifier.isNative(m.getModifiers())) continue;
                m.setAccessible(true);
                Object receiver = Modifier.isStatic(m.getModifiers()) ? null
                        : c.isInstance(model) ? model : session;
                Class<?>[] types = m.getParameterTypes();
                Object[] values = new Object[types.length];
                for (int k = 0; k < types.length; k++) values[k] = zero(types[k]);
                String outcome;
                try {
                    Object r = m.invoke(receiver, values);
                    outcome = "returned " + r;
                } catch (InvocationTargetException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof UnsatisfiedLinkError) {
                        System.out.println("UNRESOLVED " + c.getName() + "." + m.getName() + ": " + cause);
                        System.exit(3);
                    }
                    outcome = "threw " + cause.getClass().getName();
                }
                System.out.println("native " + c.getSimpleName() + "." + m.getName() + " " + outcome);
                count++;
            }
        }
        System.out.println("natives=" + count);
    }
}
