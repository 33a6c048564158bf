/**
 * The assertions the Java test programs share (tests/java): each extends this class, so they
 * compile with or without the others, on any JDK from 8 on, without a test framework.
 */
abstract class Checks {
    interface Body {
        void run() throws Exception;
    }

    /** Runs body and returns the exception of the given type it throws; fails otherwise. */
    static <T extends Throwable> T expect(Class<T> type, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            throw new AssertionError("expected " + type.getName() + ", got " + t, t);
        }
        throw new AssertionError("expected " + type.getName() + ", nothing was thrown");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
