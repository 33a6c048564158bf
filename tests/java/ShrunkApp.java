// A minimal "app" for the ProGuard test (tests/test_jni.py): it uses only a few SDK
// methods, so without the SDK's consumer rules the shrinker removes or renames the
// natives and classes JNI_OnLoad registers, and loading the library fails.
import com.example.jnikit.Model;
import com.example.jnikit.Session;

public class ShrunkApp {
    public static void main(String[] args) throws Exception {
        try (Model model = Model.load(args[0]); Session session = model.newSession()) {
            session.setInput(0, new float[] {1, 2, 3, 4, 5, 6});
            session.run();
            float[] out = session.getOutputFloats(0);
            StringBuilder sb = new StringBuilder("out=");
            for (int i = 0; i < out.length; i++) {
                sb.append(i == 0 ? "" : ",").append(out[i]);
            }
            System.out.println(sb);
        }
    }
}
