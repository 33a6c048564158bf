// End-to-end check of the generated Java API over the real engine library (tests/test_jni.py).
// Prints key=value lines the test compares against onnxruntime; any failed check throws.
import com.example.jnikit.Engine;
import com.example.jnikit.MemoryInfo;
import com.example.jnikit.Model;
import com.example.jnikit.SdkException;
import com.example.jnikit.Session;
import com.example.jnikit.TensorInfo;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Set;

public class JniSmoke extends Checks {
    static int liveResources() throws Exception {
        Class<?> c = Class.forName("com.example.jnikit.NativeResource");
        Field f = c.getDeclaredField("LIVE");
        f.setAccessible(true);
        return ((Set<?>) f.get(null)).size();
    }

    public static void main(String[] args) throws Exception {
        final String path = args[0];
        final float[] input = parse(args[1]);
        System.out.println("version=" + Engine.version());
        System.out.println("sdk_version=" + Engine.sdkVersion());
        System.out.println("build_info=" + Engine.buildInfo());

        // 1. file -> float[] in, float[] out
        try (Model model = Model.load(path); Session session = model.newSession()) {
            TensorInfo in = model.getInputInfo(0);
            TensorInfo out = model.getOutputInfo(0);
            System.out.println("input=" + in.getName() + ":" + in.getDType() + ":" + Arrays.toString(in.getShape())
                    + ":" + in.getByteSize());
            System.out.println("output=" + out.getName() + ":" + out.getDType() + ":" + Arrays.toString(out.getShape())
                    + ":" + out.getByteSize());
            check(model.getInputCount() == 1 && model.getOutputCount() == 1, "counts");
            check(model.findInput(in.getName()) == 0 && model.findOutput(out.getName()) == 0, "find");
            check(model.findInput("no such input") == -1, "find missing");
            MemoryInfo mem = model.getMemoryInfo();
            System.out.println("memory=" + mem.getWeightsBytes() + "," + mem.getArenaBytes() + ","
                    + mem.getArenaLowerBound() + "," + mem.getNaiveBytes());
            session.setInput(0, input);
            session.run();
            System.out.println("out_file=" + csv(session.getOutputFloats(0)));
            // by name, and into a caller's float[]
            session.setInput(in.getName(), input);
            session.run();
            float[] again = new float[(int) out.getElementCount()];
            session.getOutput(0, again);
            System.out.println("out_named=" + csv(again));
            // raw bytes of an f32 output
            byte[] raw = session.getOutputBytes(0);
            float[] fromRaw = new float[raw.length / 4];
            ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder()).asFloatBuffer().get(fromRaw);
            System.out.println("out_bytes=" + csv(fromRaw));
        }

        byte[] bytes = Files.readAllBytes(Paths.get(path));
        // 2. byte[] model, direct ByteBuffer in and out (zero-copy on the Java side), 2 threads
        try (Model model = Model.load(bytes); Session session = model.newSession(2)) {
            ByteBuffer inBuf = ByteBuffer.allocateDirect(input.length * 4).order(ByteOrder.nativeOrder());
            inBuf.asFloatBuffer().put(input);
            session.setInput(0, inBuf);
            check(inBuf.position() == 0, "input position unchanged");
            session.run();
            ByteBuffer outBuf = ByteBuffer.allocateDirect((int) model.getOutputInfo(0).getByteSize() + 8)
                    .order(ByteOrder.nativeOrder());
            outBuf.position(8);
            session.getOutput(0, outBuf);
            float[] got = new float[(int) model.getOutputInfo(0).getElementCount()];
            ((ByteBuffer) outBuf.position(8)).slice().order(ByteOrder.nativeOrder()).asFloatBuffer().get(got);
            System.out.println("out_direct=" + csv(got));
            // heap buffers are refused with a clear message
            IllegalArgumentException e = expect(IllegalArgumentException.class,
                    () -> session.setInput(0, ByteBuffer.allocate(input.length * 4)));
            System.out.println("heap_buffer=" + e.getMessage());
            // wrong input sizes: the engine's INVALID_ARGUMENT with its message
            SdkException wrong = expect(SdkException.class, () -> session.setInput(0, new float[input.length + 1]));
            check(wrong.getStatus() == SdkException.INVALID_ARGUMENT, "wrong size status " + wrong);
            System.out.println("wrong_size=" + wrong.getStatusName() + "|" + wrong.getMessage());
            SdkException wrongBytes = expect(SdkException.class, () -> session.setInput(0, new byte[3]));
            check(wrongBytes.getStatus() == SdkException.INVALID_ARGUMENT, "wrong byte size status");
            ByteBuffer small = ByteBuffer.allocateDirect(4);
            SdkException wrongDirect = expect(SdkException.class, () -> session.setInput(0, small));
            check(wrongDirect.getStatus() == SdkException.INVALID_ARGUMENT, "wrong direct size status");
            expect(IllegalArgumentException.class, () -> session.getOutput(0, ByteBuffer.allocateDirect(4)));
            expect(java.nio.ReadOnlyBufferException.class,
                    () -> session.getOutput(0, ByteBuffer.allocateDirect(64).asReadOnlyBuffer()));
            IndexOutOfBoundsException badIndex = expect(IndexOutOfBoundsException.class,
                    () -> session.setInput(7, input));
            System.out.println("bad_index=" + badIndex.getMessage());
            expect(IndexOutOfBoundsException.class, () -> model.getInputInfo(3));
            // a run consumes its inputs: running again without setting them is refused
            SdkException stale = expect(SdkException.class, () -> session.run());
            check(stale.getStatus() == SdkException.STATE && stale.getMessage().contains("is not set"),
                    "stale input " + stale);
            System.out.println("stale_input=" + stale.getMessage());
        }

        // 3. direct ByteBuffer model and InputStream model give the same results
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
        direct.put(bytes).flip();
        try (Model a = Model.load(direct); Model b = Model.load(new ByteArrayInputStream(bytes));
             Session sa = a.newSession(); Session sb = b.newSession()) {
            sa.setInput(0, input);
            sa.run();
            sb.setInput(0, input);
            sb.run();
            check(Arrays.equals(sa.getOutputFloats(0), sb.getOutputFloats(0)), "buffer vs stream");
            System.out.println("out_buffer=" + csv(sa.getOutputFloats(0)));
        }

        // 4. error paths
        final byte[] garbage = "this is not a model at all, just some bytes".getBytes("UTF-8");
        SdkException bad = expect(SdkException.class, () -> Model.load(garbage));
        System.out.println("bad_model=" + bad.getStatusName() + "|" + bad.getMessage());
        byte[] corrupt = bytes.clone();
        corrupt[corrupt.length - 1] ^= 0x5a;
        SdkException crc = expect(SdkException.class, () -> Model.load(corrupt));
        System.out.println("corrupt_model=" + crc.getStatusName() + "|" + crc.getMessage());
        SdkException missing = expect(SdkException.class, () -> Model.load(path + ".missing"));
        System.out.println("missing_file=" + missing.getStatusName() + "|" + missing.getMessage());
        if (args.length > 2) {  // a model with an int16 input (a storage type): refused at load
            SdkException storage = expect(SdkException.class, () -> Model.load(args[2]));
            System.out.println("storage_model=" + storage.getStatusName() + "|" + storage.getMessage());
        }
        expect(NullPointerException.class, () -> Model.load((String) null));

        Model model = Model.load(path);
        final Session session = model.newSession();
        SdkException early = expect(SdkException.class, () -> session.getOutputFloats(0));
        System.out.println("before_run=" + early.getStatusName() + "|" + early.getMessage());
        // closing the model first keeps its native memory alive for the open session
        model.close();
        model.close();
        check(model.isClosed(), "model closed");
        expect(IllegalStateException.class, () -> model.newSession());
        expect(IllegalStateException.class, () -> model.getInputInfo(0));
        session.setInput(0, input);
        session.run();
        System.out.println("out_after_model_close=" + csv(session.getOutputFloats(0)));
        session.close();
        session.close(); // idempotent
        IllegalStateException closed = expect(IllegalStateException.class, () -> session.run());
        System.out.println("after_close=" + closed.getMessage());
        expect(IllegalStateException.class, () -> session.setInput(0, input));
        expect(IllegalStateException.class, () -> session.getOutputFloats(0));

        // 5. the safety net: models and sessions never closed are freed after GC
        int before = liveResources();
        for (int i = 0; i < 200; i++) {
            Model m = Model.load(bytes);
            Session s = m.newSession();
            s.setInput(0, input);
        }
        int peak = liveResources();
        int after = peak;
        for (int i = 0; i < 100 && after > before; i++) {
            System.gc();
            Thread.sleep(20);
            after = liveResources();
        }
        System.out.println("leak_check=" + before + "," + peak + "," + after);
        check(after <= before, "unclosed resources were not freed: " + after + " live (before " + before + ")");
        System.out.println("done=ok");
    }
}
