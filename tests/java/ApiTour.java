// Every public call of the generated Java API, as an app would make them (tests/test_package.py
// runs it against the packaged AAR: classes.jar + the x86_64 library). Arguments: the AAR (its
// tiny model is loaded from the archive at the entry's offset, as AssetFileDescriptor gives it),
// the entry's offset and length, and a model with one Reshape per element type (typed I/O).
// Prints key=value lines; any failed check throws. The package is replaced by the test.
import com.example.tinykit.Engine;
import com.example.tinykit.MemoryInfo;
import com.example.tinykit.Model;
import com.example.tinykit.ModelOptions;
import com.example.tinykit.SdkException;
import com.example.tinykit.Session;
import com.example.tinykit.SessionOptions;
import com.example.tinykit.TensorInfo;

import java.io.File;
import java.io.FileInputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.util.Arrays;

public class ApiTour extends Checks {
    public static void main(String[] args) throws Exception {
        File aar = new File(args[0]);
        long offset = Long.parseLong(args[1]);
        long length = Long.parseLong(args[2]);
        File typedFile = new File(args[3]);
        System.out.println("version=" + Engine.version());
        System.out.println("sdk_version=" + Engine.sdkVersion());
        check(Engine.buildInfo().contains("Reshape"), "build info");

        // ---- loading: a mapped range of the archive, as an uncompressed asset in an APK
        float[] x = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f};
        float[] reference;
        try (FileInputStream apk = new FileInputStream(aar);
             Model model = Model.load(apk.getFD(), offset, length);
             Session session = model.newSession()) {
            session.setInput(0, x);
            session.run();
            reference = session.getOutputFloats(0);
            System.out.println("mapped_out=" + Arrays.toString(reference));
            check(model.getInputCount() == 1 && model.getOutputCount() == 1, "counts");
            TensorInfo in = model.getInputInfo(0);
            TensorInfo out = model.getOutputInfo(0);
            check(in.getDType() == TensorInfo.DType.F32 && in.getDType().code == 1 && in.getDType().size == 4, "dtype");
            check(in.getElementCount() == 6 && in.getByteSize() == 24 && in.getShape().length == 2, "shape");
            check(in.getScale() == 0f && in.getZeroPoint() == 0 && in.toString().startsWith(in.getName()), "info");
            check(model.findInput(in.getName()) == 0 && model.findOutput(out.getName()) == 0, "find");
            check(model.findInput("nope") == -1 && model.findOutput("nope") == -1, "find missing");
            MemoryInfo mem = model.getMemoryInfo();
            check(mem.getWeightsBytes() > 0 && mem.getArenaLowerBound() <= mem.getArenaBytes()
                    && mem.getArenaBytes() <= mem.getNaiveBytes() && mem.getPackedWeightsBytes() >= 0
                    && mem.toString().contains("weights="), "memory " + mem);
            check(session.getModel() == model && !session.isClosed() && !model.isClosed(), "state");
            check(model.toString().contains(in.getName()), "toString");
        }
        byte[] bytes = new byte[(int) length];
        try (RandomAccessFile f = new RandomAccessFile(aar, "r")) {
            f.seek(offset);
            f.readFully(bytes);
        }
        File plain = File.createTempFile("tiny", ".sdkm");
        plain.deleteOnExit();
        Files.write(plain.toPath(), bytes);
        MappedByteBuffer mapped;
        try (FileChannel ch = new RandomAccessFile(plain, "r").getChannel()) {
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, length);  // page aligned: used in place
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
        direct.put(bytes).flip();
        Model[] models = {
            Model.load(plain.getPath()), Model.load(plain), Model.load(bytes), Model.load(bytes, 0, bytes.length),
            Model.load(mapped), Model.load(direct), Model.load(ByteBuffer.wrap(bytes)),
            Model.load(new java.io.ByteArrayInputStream(bytes)),
        };
        for (Model m : models) {
            try (Session s = m.newSession(2)) {
                s.setInput("x", x);
                s.run();
                check(Arrays.equals(s.getOutputFloats("y"), reference), "same outputs from every load");
                float[] into = new float[reference.length];
                s.getOutput(0, into);
                check(Arrays.equals(into, reference), "getOutput(float[])");
            }
            m.close();
        }
        System.out.println("loads=" + models.length);

        // ---- options: memory limits, and a key (not used: this model is not encrypted)
        ModelOptions options = new ModelOptions().setMaxModelBytes(ModelOptions.DEFAULT_MAX_MODEL_BYTES / 2)
                .setKey(new byte[ModelOptions.KEY_BYTES]);
        check(options.hasKey() && options.getMaxModelBytes() == 1L << 29, "model options");
        SessionOptions sessionOptions = new SessionOptions().setThreads(2).setMaxSessionBytes(1L << 20);
        check(sessionOptions.getThreads() == 2 && sessionOptions.getMaxSessionBytes() == 1L << 20
                && SessionOptions.DEFAULT_MAX_SESSION_BYTES == 1L << 30, "session options");
        try (Model m = Model.load(plain, options); Session s = m.newSession(sessionOptions)) {
            s.setInput("x", x);
            s.run();
            check(Arrays.equals(s.getOutputFloats("y"), reference), "with options");
        }

        // ---- typed inputs and outputs: one Reshape per element type
        try (Model typed = Model.load(typedFile); Session s = typed.newSession()) {
            float[] f = {1.5f, -2f, 3.25f, 0f, 7f, -0.5f};
            s.setInput("f32_in", f);
            byte[] i8 = {-128, -1, 0, 1, 2, 127};
            s.setInput("i8_in", i8);
            byte[] u8 = {0, 1, 2, (byte) 200, (byte) 254, (byte) 255};
            s.setInput(typed.findInput("u8_in"), u8);
            int[] i32 = {Integer.MIN_VALUE, -1, 0, 1, 65536, Integer.MAX_VALUE};
            s.setInput("i32_in", i32);
            long[] i64 = {Long.MIN_VALUE, -1L, 0L, 1L, 1L << 40, Long.MAX_VALUE};
            s.setInput("i64_in", i64);
            boolean[] b = {true, false, false, true, true, false};
            s.setInput("bool_in", b);
            short[] h = {0x3c00, (short) 0xc000, 0x3800, 0, 0x7bff, (short) 0x8001};  // 1, -2, 0.5, 0, 65504, -tiny
            s.setInput("f16_in", h);
            s.run();
            check(Arrays.equals(s.getOutputFloats("f32_out"), f), "f32");
            check(Arrays.equals(s.getOutputBytes("i8_out"), i8), "i8");
            check(Arrays.equals(s.getOutputBytes(typed.findOutput("u8_out")), u8), "u8");
            check(Arrays.equals(s.getOutputInts("i32_out"), i32), "i32");
            check(Arrays.equals(s.getOutputLongs("i64_out"), i64), "i64");
            check(Arrays.equals(s.getOutputBooleans("bool_out"), b), "bool");
            check(Arrays.equals(s.getOutputShorts("f16_out"), h), "f16 bits");
            System.out.println("f16_as_floats=" + Arrays.toString(s.getOutputFloats("f16_out")));
            System.out.println("i64_as_floats=" + Arrays.toString(s.getOutputFloats("i64_out")));
            // floats into the integer and half inputs, converted by the engine
            s.setInput("f32_in", f);
            s.setInput("i8_in", new float[] {-128f, -1.4f, 0f, 1.6f, 2f, 127f});
            s.setInput("u8_in", new float[] {0f, 1f, 2f, 200f, 254f, 255f});
            s.setInput("i32_in", new float[] {-5f, -1f, 0f, 1f, 65536f, 7f});
            s.setInput("i64_in", new long[6]);
            s.setInput("bool_in", new boolean[6]);
            s.setInput("f16_in", new float[] {1f, -2f, 0.5f, 0f, 65504f, 0f});
            s.run();
            check(Arrays.equals(s.getOutputInts(typed.findOutput("i32_out")),
                    new int[] {-5, -1, 0, 1, 65536, 7}), "float -> i32");
            check(Arrays.equals(s.getOutputBytes("i8_out"), new byte[] {-128, -1, 0, 2, 2, 127}), "float -> i8");
            check(Arrays.equals(s.getOutputShorts("f16_out"), new short[] {0x3c00, (short) 0xc000, 0x3800, 0, 0x7bff, 0}),
                    "float -> f16");
            // direct buffers, both ways
            ByteBuffer in = ByteBuffer.allocateDirect(48).order(ByteOrder.nativeOrder());
            in.asLongBuffer().put(i64);
            for (String name : new String[] {"f32_in", "i8_in", "u8_in", "i32_in", "bool_in", "f16_in"}) {
                s.setInput(name, new byte[(int) typed.getInputInfo(typed.findInput(name)).getByteSize()]);
            }
            s.setInput("i64_in", in);
            s.run();
            ByteBuffer out = ByteBuffer.allocateDirect(48).order(ByteOrder.nativeOrder());
            s.getOutput(typed.findOutput("i64_out"), out);
            long[] back = new long[6];
            out.asLongBuffer().get(back);
            check(Arrays.equals(back, i64), "direct i64");

            // ---- errors, in the caller's terms
            SdkException wrongType = expect(SdkException.class, () -> s.setInput("i64_in", new int[6]));
            System.out.println("wrong_type=" + wrongType.getStatusName() + "|" + wrongType.getMessage());
            SdkException floatsToLong = expect(SdkException.class, () -> s.setInput("i64_in", new float[6]));
            System.out.println("floats_to_i64=" + floatsToLong.getMessage());
            SdkException wrongLength = expect(SdkException.class, () -> s.setInput("i32_in", new int[5]));
            System.out.println("wrong_length=" + wrongLength.getMessage());
            SdkException wrongOut = expect(SdkException.class, () -> s.getOutputLongs("f32_out"));
            System.out.println("wrong_output_type=" + wrongOut.getMessage());
            IllegalArgumentException noName = expect(IllegalArgumentException.class, () -> s.setInput("nope", f));
            System.out.println("no_such_input=" + noName.getMessage());
            expect(IllegalArgumentException.class, () -> s.getOutputFloats("nope"));
            check(SdkException.statusName(SdkException.UNSUPPORTED).equals("UNSUPPORTED")
                    && wrongType.getStatus() == SdkException.INVALID_ARGUMENT
                    && wrongType.toString().contains("INVALID_ARGUMENT"), "exception");
            // everything typed by name and index for the remaining overloads
            s.setInput(typed.findInput("f32_in"), f);
            s.setInput(typed.findInput("i32_in"), i32);
            s.setInput(typed.findInput("i64_in"), i64);
            s.setInput(typed.findInput("bool_in"), b);
            s.setInput(typed.findInput("f16_in"), h);
            s.setInput(typed.findInput("i8_in"), i8);
            s.setInput("u8_in", (ByteBuffer) in.duplicate().limit(6));
            s.run();
            check(s.getOutputLongs(typed.findOutput("i64_out"))[5] == Long.MAX_VALUE, "by index");
            check(s.getOutputBooleans(typed.findOutput("bool_out"))[0], "bool by index");
            check(s.getOutputShorts(typed.findOutput("f16_out"))[0] == 0x3c00, "f16 by index");
            check(s.getOutputFloats(typed.findOutput("f32_out"))[0] == 1.5f, "f32 by index");
            check(s.getOutputInts("i32_out")[5] == Integer.MAX_VALUE, "i32 by name");
        }
        System.out.println("done=ok");
    }
}
