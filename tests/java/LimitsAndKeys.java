// Memory limits and encrypted models through the generated Java API (tests/test_jni.py).
// Arguments: a plain .sdkm file, the same model encrypted by `sdkbuild convert --encrypt`, its
// key (64 hex digits), the input values, and the byte offset and count of the floats of the
// model's bias in the decrypted bytes. Prints key=value lines; any failed check throws.
import com.example.jnikit.Model;
import com.example.jnikit.ModelOptions;
import com.example.jnikit.SdkException;
import com.example.jnikit.Session;
import com.example.jnikit.SessionOptions;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.RandomAccessFile;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;

public class LimitsAndKeys extends Checks {
    interface Loader {
        Model load(ModelOptions options) throws Exception;
    }

    static SdkException expectStatus(int status, Body body) {
        SdkException e = expect(SdkException.class, body);
        check(e.getStatus() == status, "expected " + SdkException.statusName(status) + ", got " + e);
        check(!e.getMessage().contains("sdk_"), "a C name in " + e.getMessage());
        return e;
    }

    static float[] run(Model model, float[] input) throws SdkException {
        try (Session s = model.newSession()) {
            s.setInput(0, input);
            s.run();
            return s.getOutputFloats(0);
        }
    }

    static float[] runAndClose(Model model, float[] input) throws SdkException {
        try {
            return run(model, input);
        } finally {
            model.close();
        }
    }

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static MappedByteBuffer map(String path) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(path, "r"); FileChannel ch = f.getChannel()) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
        }
    }

    // The least limit `loader` loads under (a binary search): what the model holds from that source.
    static long leastLimit(Loader loader) throws Exception {
        long lo = 1;
        long hi = 1L << 30;
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            try {
                loader.load(new ModelOptions().setMaxModelBytes(mid)).close();
                hi = mid;
            } catch (SdkException e) {
                check(e.getStatus() == SdkException.OUT_OF_MEMORY, "limit search: " + e);
                lo = mid + 1;
            }
        }
        return lo;
    }

    // The memory a model reads its weights from (the plain copy of an encrypted model), by reflection.
    static ByteBuffer backing(Model model) throws Exception {
        Field h = Model.class.getDeclaredField("handle");
        h.setAccessible(true);
        Object handle = h.get(model);
        Field k = handle.getClass().getDeclaredField("keepAlive");
        k.setAccessible(true);
        return (ByteBuffer) ((Object[]) k.get(handle))[0];
    }

    public static void main(String[] args) throws Exception {
        final String plainPath = args[0];
        final String encPath = args[1];
        final byte[] key = hex(args[2]);
        String[] parts = args[3].split(",");
        final float[] input = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            input[i] = Float.parseFloat(parts[i]);
        }
        final byte[] plain = Files.readAllBytes(Paths.get(plainPath));
        final byte[] enc = Files.readAllBytes(Paths.get(encPath));
        final int decrypted = enc.length - 20 - 16;  // the encrypted file: a 20-byte header, the ciphertext, a tag
        float[] reference = runAndClose(Model.load(plainPath), input);
        System.out.println("reference=" + Arrays.toString(reference));

        // ---- options: defaults and bad values
        ModelOptions mo = new ModelOptions();
        check(mo.getMaxModelBytes() == ModelOptions.DEFAULT_MAX_MODEL_BYTES && mo.getMaxModelBytes() == 1L << 30
                && !mo.hasKey(), "model defaults");
        SessionOptions so = new SessionOptions();
        check(so.getThreads() == 1 && so.getMaxSessionBytes() == SessionOptions.DEFAULT_MAX_SESSION_BYTES, "session defaults");
        System.out.println("bad_max_model=" + expect(IllegalArgumentException.class, () -> mo.setMaxModelBytes(0)).getMessage());
        expect(IllegalArgumentException.class, () -> mo.setMaxModelBytes(-5));
        System.out.println("bad_max_session="
                + expect(IllegalArgumentException.class, () -> so.setMaxSessionBytes(-1)).getMessage());
        expect(IllegalArgumentException.class, () -> so.setMaxSessionBytes(0));
        expect(IllegalArgumentException.class, () -> so.setThreads(-1));
        System.out.println("bad_key=" + expect(IllegalArgumentException.class, () -> mo.setKey(new byte[16])).getMessage());
        expect(IllegalArgumentException.class, () -> Model.load(encPath, new byte[31]));
        expect(NullPointerException.class, () -> Model.load(plainPath, (ModelOptions) null));
        check(mo.getMaxModelBytes() == 1L << 30 && !mo.hasKey(), "a refused value changes nothing");
        check(!mo.setKey(key).toString().contains(args[2].substring(0, 8)), "toString shows no key");

        // ---- model limits: a copy counts, memory used in place does not
        long copied = leastLimit(o -> Model.load(plain, o));
        long mapped = leastLimit(o -> Model.load(plainPath, o));
        long buffer = leastLimit(o -> Model.load(map(plainPath), o));
        long range;
        try (FileInputStream f = new FileInputStream(plainPath)) {
            range = leastLimit(o -> Model.load(f.getFD(), 0, plain.length, o));
        }
        long stream = leastLimit(o -> Model.load(new ByteArrayInputStream(plain), o));
        System.out.println("least_limits=" + copied + "," + mapped + "," + buffer + "," + range + "," + stream);
        check(copied - mapped == plain.length && buffer == mapped && range == mapped && stream == copied,
                "what counts against the limit");
        SdkException over = expectStatus(SdkException.OUT_OF_MEMORY,
                () -> Model.load(plain, new ModelOptions().setMaxModelBytes(plain.length - 1)));
        System.out.println("model_over=" + over.getMessage());
        float[] limited = runAndClose(Model.load(plainPath, new ModelOptions().setMaxModelBytes(mapped)), input);
        check(Arrays.equals(limited, reference), "a model at its limit runs");

        // ---- session limits
        try (Model model = Model.load(plainPath)) {
            SdkException big = expectStatus(SdkException.OUT_OF_MEMORY,
                    () -> model.newSession(new SessionOptions().setMaxSessionBytes(16)));
            System.out.println("session_over=" + big.getMessage());
            long lo = 1;
            long hi = 1L << 20;
            while (lo < hi) {
                long mid = lo + (hi - lo) / 2;
                try {
                    model.newSession(new SessionOptions().setMaxSessionBytes(mid)).close();
                    hi = mid;
                } catch (SdkException e) {
                    lo = mid + 1;
                }
            }
            System.out.println("least_session=" + lo + "," + model.getMemoryInfo().getArenaBytes());
            try (Session s = model.newSession(new SessionOptions().setThreads(2).setMaxSessionBytes(lo + 4096))) {
                s.setInput(0, input);
                s.run();
                check(Arrays.equals(s.getOutputFloats(0), reference), "2 threads under a limit");
            }
        }

        // ---- encrypted models: every source, with the key
        final File encFile = new File(encPath);
        ByteBuffer direct = ByteBuffer.allocateDirect(enc.length);
        direct.put(enc).flip();
        Model[] models;
        try (FileInputStream f = new FileInputStream(encPath)) {
            models = new Model[] {
                Model.load(encPath, key), Model.load(encFile, key), Model.load(enc, key),
                Model.load(ByteBuffer.wrap(enc), key), Model.load(direct, key), Model.load(map(encPath), key),
                Model.load(new ByteArrayInputStream(enc), key), Model.load(f.getFD(), 0, enc.length, key),
                Model.load(encPath, new ModelOptions().setKey(key).setMaxModelBytes(1L << 20)),
            };
        }
        for (Model m : models) {
            check(Arrays.equals(runAndClose(m, input), reference), "an encrypted model runs as the plain one");
        }
        System.out.println("encrypted_loads=" + models.length);
        check(direct.position() == 0, "the caller's buffer position is unchanged");
        // the decrypted copy is the memory the model reads its weights from (in place, not copied again)
        try (Model m = Model.load(enc, key)) {
            ByteBuffer copy = backing(m);
            check(copy.isDirect() && copy.capacity() == decrypted && copy.get(0) == 'S' && copy.get(3) == 'M',
                    "decrypted into a direct buffer");
            copy.order(java.nio.ByteOrder.LITTLE_ENDIAN);
            // the bias of the Gemm (where the test found it in the decrypted bytes) set to 100
            int at = Integer.parseInt(args[4]);
            int count = Integer.parseInt(args[5]);
            for (int i = 0; i < count; i++) {
                copy.putFloat(at + 4 * i, 100f);  // (little-endian, as the host and the format)
            }
            float[] after = run(m, input);
            System.out.println("in_place=" + !Arrays.equals(after, reference));
        }
        // a key for a model that is not encrypted is not used
        check(Arrays.equals(runAndClose(Model.load(plainPath, key), input), reference), "key + plain file");
        check(Arrays.equals(runAndClose(Model.load(plain, key), input), reference), "key + plain bytes");

        // ---- encrypted models: errors
        SdkException noKey = expectStatus(SdkException.BAD_MODEL, () -> Model.load(encPath));
        System.out.println("no_key=" + noKey.getMessage());
        System.out.println("no_key_bytes=" + expectStatus(SdkException.BAD_MODEL, () -> Model.load(enc)).getMessage());
        final byte[] otherKey = key.clone();
        otherKey[0] ^= 1;
        System.out.println("wrong_key=" + expectStatus(SdkException.BAD_MODEL, () -> Model.load(encPath, otherKey)).getMessage());
        String[] flips = {"header", "nonce", "ciphertext", "tag"};
        int[] at = {6, 10, enc.length / 2, enc.length - 1};
        for (int i = 0; i < flips.length; i++) {
            final byte[] bad = enc.clone();
            bad[at[i]] ^= 0x10;
            SdkException e = expectStatus(SdkException.BAD_MODEL, () -> Model.load(bad, key));
            System.out.println("flipped_" + flips[i] + "=" + e.getMessage());
        }
        final byte[] truncated = Arrays.copyOf(enc, 30);
        System.out.println("truncated=" + expectStatus(SdkException.BAD_MODEL, () -> Model.load(truncated, key)).getMessage());
        SdkException tooBig = expectStatus(SdkException.OUT_OF_MEMORY,
                () -> Model.load(enc, new ModelOptions().setKey(key).setMaxModelBytes(decrypted - 1)));
        System.out.println("decrypted_over=" + tooBig.getMessage());
        SdkException tablesOver = expectStatus(SdkException.OUT_OF_MEMORY,
                () -> Model.load(enc, new ModelOptions().setKey(key).setMaxModelBytes(decrypted + 1)));
        System.out.println("decrypted_tables_over=" + tablesOver.getMessage());
        long least = leastLimit(o -> Model.load(enc, o.setKey(key)));
        System.out.println("least_decrypted=" + least);
        check(least == decrypted + (copied - plain.length), "the decrypted copy counts as a copy does");
        SdkException missing = expectStatus(SdkException.IO, () -> Model.load(encPath + ".missing", key));
        System.out.println("missing=" + missing.getMessage());
        System.out.println("done=ok");
    }
}
