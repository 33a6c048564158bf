/**
 * What the Java test programs share (tests/java): assertions, and the comma-separated floats
 * their Python drivers pass in and read back. Each program extends this class, so it compiles
 * with this file alone, on any JDK from 8 on, without a test framework.
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

    static float[] parse(String csv) {
        String[] parts = csv.split(",");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            v[i] = Float.parseFloat(parts[i]);
        }
        return v;
    }

    static String csv(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i > 0 ? "," : "").append(Float.toString(v[i]));
        }
        return sb.toString();
    }
}
