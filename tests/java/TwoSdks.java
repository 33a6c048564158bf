// Two SDKs built by sdkbuild in one JVM (tests/test_two_sdks.py): TinyKit (com.example.tinykit)
// and BetaKit (org.beta.kit), each with its own native library, engine and op set.
// Prints key=value lines; any failed check throws.
public class TwoSdks extends Checks {
    static String ops(String buildInfo) {
        int start = buildInfo.indexOf("\"ops\":");
        return buildInfo.substring(start + 6, buildInfo.indexOf(']', start) + 1);
    }

    public static void main(String[] args) throws Exception {
        System.out.println("tiny_sdk_version=" + com.example.tinykit.Engine.sdkVersion());
        System.out.println("beta_sdk_version=" + org.beta.kit.Engine.sdkVersion());
        System.out.println("tiny_ops=" + ops(com.example.tinykit.Engine.buildInfo()));
        System.out.println("beta_ops=" + ops(org.beta.kit.Engine.buildInfo()));
        // both loaded, used alternately and at once
        try (com.example.tinykit.Model tiny = com.example.tinykit.Model.load(args[0]);
             org.beta.kit.Model beta = org.beta.kit.Model.load(args[2]);
             com.example.tinykit.Session ts = tiny.newSession();
             org.beta.kit.Session bs = beta.newSession(2)) {
            ts.setInput(0, parse(args[1]));
            bs.setInput(0, parse(args[3]));
            bs.run();
            ts.run();
            System.out.println("tiny_out=" + csv(ts.getOutputFloats(0)));
            System.out.println("beta_out=" + csv(bs.getOutputFloats(0)));
        }
        // each engine refuses the other SDK's model: it has only its own ops
        try {
            com.example.tinykit.Model.load(args[2]).close();
            throw new AssertionError("TinyKit loaded BetaKit's model");
        } catch (com.example.tinykit.SdkException e) {
            System.out.println("tiny_loads_beta=" + e.getStatusName() + "|" + e.getMessage());
        }
        try {
            org.beta.kit.Model.load(args[0]).close();
            throw new AssertionError("BetaKit loaded TinyKit's model");
        } catch (org.beta.kit.SdkException e) {
            System.out.println("beta_loads_tiny=" + e.getStatusName() + "|" + e.getMessage());
        }
        System.out.println("done=ok");
    }
}
