package dip.io;

import dip.io.TorchPickle.StorageType;
import dip.io.TorchPickle.TensorRef;
import dip.layers.Param;
import dip.layers.ParamRegistry;
import dip.model.Dip;
import dip.model.DipConfig;
import dip.model.HeadType;
import dip.model.PatchDetailerHead;
import dip.model.Preset;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PyTorch checkpoints written by {@code torch.save} (PyTorch ≥ 1.6): PyTorch Lightning {@code .ckpt} files as the
 * official DiP code (on PixNerd) saves them, and {@code .pt}/{@code .pth} state dicts. The archive is a zip holding
 * {@code <dir>/data.pkl} (a pickle of the saved object), raw storages {@code <dir>/data/<key>} and
 * {@code <dir>/version} (and {@code <dir>/byteorder} since PyTorch 2.1). The pickle is read by the restricted
 * {@link TorchPickle}, which never executes code; storages are read lazily, tensor by tensor, honouring each
 * tensor's storage offset, size and strides (views, transposes, shared storages), and converted to float32 from
 * F32, F16, BF16, F64, I64, I32, I16, I8, U8 or BOOL.
 * <p>
 * Which tensors: a Lightning checkpoint's {@code state_dict} holds the live weights under
 * {@value ModelWeights#DENOISER_PREFIX}, the EMA weights under {@value ModelWeights#EMA_PREFIX} and training-only
 * tensors (e.g. {@code diffusion_trainer.*}, the REPA projector); optimizer states, schedulers, callbacks, loops and
 * hyper-parameters are parsed (the pickle must be valid throughout) but never read from storage. A file whose top
 * level is the state dict itself, or a dict with only {@code state_dict}, works the same; a state dict with no
 * prefixes is one set of weights (DiP's module names: s_embedder, t_embedder, y_embedder, blocks, local_decoder,
 * final_layer; other keys are ignored). A {@code _orig_mod.} (torch.compile) right after the prefix is dropped.
 * <p>
 * Typical use: {@code var w = TorchCheckpoint.load(file, Weights.EMA); DipConfig cfg = TorchCheckpoint.config(file,
 * w, null, 0); Dip m = new Dip(engine, cfg, batch); TorchCheckpoint.loadInto(file, w, m.params());} or, to the
 * project's format, {@link #convert}. Every malformed input is a {@link SafetensorsException} whose one-line message
 * names the file and the problem.
 */
public final class TorchCheckpoint implements Closeable {
    /** Which set of weights of a training checkpoint: EMA (what the paper samples with, the default) or live. */
    public enum Weights {
        EMA(ModelWeights.EMA_PREFIX), LIVE(ModelWeights.DENOISER_PREFIX);

        public final String prefix;

        Weights(String prefix) { this.prefix = prefix; }
    }

    /** Top-level module names of DiP's state dict, for state dicts with no prefix. */
    static final List<String> MODEL_ROOTS = List.of("s_embedder.", "t_embedder.", "y_embedder.", "blocks.", "local_decoder.", "final_layer.");
    private static final String COMPILED = "_orig_mod.";

    private final TorchZip zip;
    private final String dir;                     // the archive's top directory, e.g. "archive/"
    private final ByteOrder order;
    private final Object root;

    private TorchCheckpoint(TorchZip zip, String dir, ByteOrder order, Object root) {
        this.zip = zip; this.dir = dir; this.order = order; this.root = root;
    }

    /** Opens the archive and unpickles data.pkl (no tensor data is read yet). The caller closes it. */
    public static TorchCheckpoint open(Path file) throws IOException {
        TorchZip zip = TorchZip.open(file);
        try {
            TorchZip.Entry pkl = null;
            for (TorchZip.Entry e : zip.entries().values()) {
                int slash = e.name.indexOf('/');
                if (slash > 0 && e.name.substring(slash).equals("/data.pkl")) {
                    if (pkl != null) throw new SafetensorsException(file, "two data.pkl entries (" + pkl.name + ", " + e.name + ")");
                    pkl = e;
                }
            }
            if (pkl == null) {
                throw new SafetensorsException(file, "zip without <dir>/data.pkl: not a torch.save archive ("
                        + zip.entries().size() + " entries" + (zip.entries().isEmpty() ? "" : ", e.g. " + zip.entries().keySet().iterator().next()) + ")");
            }
            String dir = pkl.name.substring(0, pkl.name.indexOf('/') + 1);
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            TorchZip.Entry bo = zip.entries().get(dir + "byteorder");
            if (bo != null) {
                String s = new String(zip.readAll(bo), StandardCharsets.US_ASCII).trim();
                if (s.equals("big")) order = ByteOrder.BIG_ENDIAN;
                else if (!s.equals("little")) throw new SafetensorsException(file, "byteorder entry says '" + s + "', not little or big");
            }
            Object root = TorchPickle.load(zip.readAll(pkl), file);
            return new TorchCheckpoint(zip, dir, order, root);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    public Path file() { return zip.file(); }

    /** The unpickled object (maps, lists, tuples, {@link TensorRef}s …; see {@link TorchPickle}). */
    public Object root() { return root; }

    /**
     * The state dict's tensors by key, in saved order: {@code root["state_dict"]} for a Lightning (or
     * {@code {"state_dict": …}}) file, else the top-level dict. Entries that are not tensors are left out.
     */
    public Map<String, TensorRef> stateDict() throws SafetensorsException {
        Path file = file();
        if (!(root instanceof Map<?, ?> top)) {
            throw new SafetensorsException(file, "the checkpoint holds a " + TorchPickle.typeName(root) + ", not a dict of tensors");
        }
        Object sd = top.containsKey("state_dict") ? top.get("state_dict") : top;
        if (!(sd instanceof Map<?, ?> m)) {
            throw new SafetensorsException(file, "state_dict is a " + TorchPickle.typeName(sd) + ", not a dict");
        }
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (var e : m.entrySet()) {
            if (e.getKey() instanceof String k && e.getValue() instanceof TensorRef t) out.put(k, t);
        }
        if (out.isEmpty()) {
            throw new SafetensorsException(file, "no tensors in " + (sd == top ? "the top-level dict" : "state_dict")
                    + " (keys: " + abbreviate(m.keySet()) + ")");
        }
        return out;
    }

    /**
     * The chosen weights under their official names (prefix removed), float32, in saved order. Picks
     * {@code which.prefix} when the state dict has prefixed weights (failing, with the alternative named, when that
     * set is absent), else the unprefixed DiP tensors.
     */
    public Map<String, Tensor> weights(Weights which) throws IOException {
        Path file = file();
        Map<String, TensorRef> sd = stateDict();
        boolean ema = false, live = false;
        for (String k : sd.keySet()) {
            ema |= k.startsWith(Weights.EMA.prefix);
            live |= k.startsWith(Weights.LIVE.prefix);
        }
        String prefix;
        if (ema || live) {
            prefix = which.prefix;
            if (which == Weights.EMA && !ema) {
                throw new SafetensorsException(file, "no EMA weights (no tensor name starts with '" + Weights.EMA.prefix
                        + "'); the live weights ('" + Weights.LIVE.prefix + "') are there: load those instead");
            }
            if (which == Weights.LIVE && !live) {
                throw new SafetensorsException(file, "no live weights (no tensor name starts with '" + Weights.LIVE.prefix
                        + "'); the EMA weights ('" + Weights.EMA.prefix + "') are there: load those instead");
            }
        } else {
            prefix = "";
        }
        List<String> keys = new ArrayList<>();
        for (String k : sd.keySet()) {
            if (prefix.isEmpty() ? MODEL_ROOTS.stream().anyMatch(k::startsWith) : k.startsWith(prefix)) keys.add(k);
        }
        if (keys.isEmpty()) {
            throw new SafetensorsException(file, "no DiP tensors in the state dict: expected names like s_embedder.proj.weight, "
                    + "optionally under '" + Weights.LIVE.prefix + "' or '" + Weights.EMA.prefix + "' (found " + abbreviate(sd.keySet()) + ")");
        }
        boolean compiled = keys.stream().allMatch(k -> k.startsWith(prefix + COMPILED));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String k : keys) {
            String name = k.substring(prefix.length() + (compiled ? COMPILED.length() : 0));
            out.put(name, read(name, k, sd.get(k)));
        }
        return out;
    }

    /** Reads one tensor of the archive as float32 (shape from the tensor), named {@code name}; {@code key} names it in messages. */
    public Tensor read(String name, String key, TensorRef t) throws IOException {
        Path file = file();
        TorchPickle.StorageRef s = t.storage();
        long[] shape = t.shape(), stride = t.stride();
        int[] ishape = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) throw new SafetensorsException(file, "tensor " + key + ": dimension " + shape[i] + " is too large");
            ishape[i] = (int) shape[i];
        }
        int numel;
        try {
            numel = (int) Tensor.numel(key, ishape);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(file, e.getMessage());
        }
        TorchZip.Entry e = zip.entries().get(dir + "data/" + s.key());
        if (e == null) throw new SafetensorsException(file, "tensor " + key + ": its storage " + dir + "data/" + s.key() + " is missing from the archive");
        long have = e.size() / s.type().bytes;
        if (e.size() < s.numel() * s.type().bytes) {
            throw new SafetensorsException(file, "storage data/" + s.key() + " holds " + e.size() + " bytes but declares " + s.numel()
                    + " elements of " + s.type() + " (" + s.numel() * s.type().bytes + " bytes): truncated");
        }
        float[] out = new float[numel];
        if (numel > 0) {
            long last = t.offset();                                     // the largest element index the view touches
            for (int i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
            if (last >= Math.min(s.numel(), have)) {
                throw new SafetensorsException(file, "tensor " + key + " " + Arrays.toString(shape) + " (offset " + t.offset() + ", strides "
                        + Arrays.toString(stride) + ") reaches element " + last + " but storage data/" + s.key() + " has only "
                        + Math.min(s.numel(), have) + " elements of " + s.type());
            }
            long span = last - t.offset() + 1;
            if (span * s.type().bytes > Integer.MAX_VALUE - 8) {
                throw new SafetensorsException(file, "tensor " + key + " spans " + span + " elements of its storage, too many to read at once");
            }
            ByteBuffer b = ByteBuffer.allocate((int) (span * s.type().bytes)).order(order);
            zip.read(e, t.offset() * s.type().bytes, b);
            b.flip();
            gather(b, s.type(), ishape, stride, out);
        }
        return Tensor.f32(name, ishape, out);
    }

    /** Copies the strided view in {@code b} (element 0 = the view's first element) into {@code out}, row-major. */
    private static void gather(ByteBuffer b, StorageType type, int[] shape, long[] stride, float[] out) {
        int r = shape.length;
        boolean contiguous = true;
        long expect = 1;
        for (int i = r - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expect) contiguous = false;
            expect *= shape[i];
        }
        if (contiguous) {
            if (type == StorageType.F32) b.asFloatBuffer().get(out);
            else for (int i = 0; i < out.length; i++) out[i] = element(b, type, i);
            return;
        }
        int[] idx = new int[r];
        long at = 0;
        for (int n = 0; n < out.length; n++) {
            out[n] = element(b, type, at);
            for (int k = r - 1; k >= 0; k--) {                          // odometer over the index, last axis fastest
                if (++idx[k] < shape[k]) { at += stride[k]; break; }
                at -= (long) (shape[k] - 1) * stride[k];
                idx[k] = 0;
            }
        }
    }

    private static float element(ByteBuffer b, StorageType type, long i) {
        int p = (int) (i * type.bytes);
        return switch (type) {
            case F32 -> b.getFloat(p);
            case F64 -> (float) b.getDouble(p);
            case F16 -> HalfFloats.f16ToFloat(b.getShort(p));
            case BF16 -> HalfFloats.bf16ToFloat(b.getShort(p));
            case I64 -> (float) b.getLong(p);
            case I32 -> (float) b.getInt(p);
            case I16 -> b.getShort(p);
            case I8 -> b.get(p);
            case U8 -> b.get(p) & 0xFF;
            case BOOL -> b.get(p) != 0 ? 1f : 0f;
        };
    }

    @Override
    public void close() throws IOException { zip.close(); }

    // ---------------------------------------------------------------- the one-call API

    /** The chosen weights of a torch checkpoint under their official names, float32 (see {@link #weights}). */
    public static Map<String, Tensor> load(Path file, Weights which) throws IOException {
        try (TorchCheckpoint c = open(file)) {
            return c.weights(which);
        }
    }

    /**
     * The config for these weights, checked against every tensor: {@code given} when not null, else inferred from
     * the shapes ({@link #inferConfig}). A tensor that is missing, extra or of another shape than the config's model
     * needs fails, naming it and both shapes.
     */
    public static DipConfig config(Path file, Map<String, Tensor> weights, DipConfig given, int imageSize) throws SafetensorsException {
        DipConfig cfg = given != null ? given : inferConfig(file, weights, imageSize);
        check(file, weights, shapes(cfg), cfg);
        return cfg;
    }

    /**
     * The model shape the tensors imply: hidden width and patch vector from s_embedder, classes from the label
     * table, depth from the blocks, heads from q_norm (head dim), head type, width, channels and patch size from
     * local_decoder (or final_layer). The image size is not in the weights (RoPE has no parameters): {@code imageSize}
     * when positive, else the image size of the {@link Preset} with the same shape (XL/16, L/16 …), else an error.
     */
    public static DipConfig inferConfig(Path file, Map<String, Tensor> w, int imageSize) throws SafetensorsException {
        int[] s = shape(file, w, "s_embedder.proj.weight", 2);
        int D = s[0], patchDim = s[1];
        int classes = shape(file, w, "y_embedder.embedding_table.weight", 2)[0] - 1;
        int depth = 0;
        while (w.containsKey("blocks." + depth + ".norm1.weight")) depth++;
        if (depth == 0) throw new SafetensorsException(file, "cannot infer the config: no tensor blocks.0.norm1.weight");
        int hd = shape(file, w, "blocks.0.attn.q_norm.weight", 1)[0];
        if (hd == 0 || D % hd != 0) throw new SafetensorsException(file, "cannot infer the config: head dim " + hd + " does not divide hidden " + D);
        HeadType head;
        int C, P, width;
        if (w.containsKey("local_decoder.enc1.0.weight")) {
            head = HeadType.DIP;
            int[] e1 = shape(file, w, "local_decoder.enc1.0.weight", 4);
            width = e1[0];
            C = e1[1];
            int stages = 0;
            while (w.containsKey("local_decoder.enc" + (stages + 1) + ".0.weight")) stages++;
            P = C > 0 && patchDim % C == 0 ? isqrt(patchDim / C) : -1;
            if (P <= 0) {
                throw new SafetensorsException(file, "cannot infer the config: s_embedder takes " + patchDim + " values per patch, not "
                        + C + "·P² for the head's " + C + " channels");
            }
            if (!PatchDetailerHead.supports(P) || stages != PatchDetailerHead.stagesFor(P)) {
                throw new SafetensorsException(file, "the detailer head has " + stages + " stages but the patch size is " + P
                        + (PatchDetailerHead.supports(P) ? ": this project builds " + PatchDetailerHead.stagesFor(P) + " stages for it ("
                        + (P % 16 == 0 ? "the official layout: 4 stages, a (P/16)² bottleneck)" : "log2 P)")
                        : ": the head needs a multiple of 16 or a power of two"));
            }
        } else if (w.containsKey("final_layer.linear.weight")) {
            head = HeadType.DIT_ONLY;
            width = 64;
            if (patchDim % 3 == 0 && isqrt(patchDim / 3) > 0) { C = 3; P = isqrt(patchDim / 3); }
            else if (isqrt(patchDim) > 0) { C = 1; P = isqrt(patchDim); }
            else throw new SafetensorsException(file, "cannot infer channels and patch size from " + patchDim + " values per patch: give the config");
        } else {
            throw new SafetensorsException(file, "cannot infer the config: neither local_decoder.* (DiP head) nor final_layer.* (DiT head) tensors");
        }
        int size = imageSize;
        if (size <= 0) {
            for (Preset p : Preset.values()) {
                DipConfig c = p.config();
                if (c.patchSize() == P && c.channels() == C && c.hidden() == D && c.depth() == depth && c.heads() == D / hd
                        && c.numClasses() == classes && c.head() == head && (head != HeadType.DIP || c.headWidth() == width)) {
                    size = c.imageSize();
                }
            }
            if (size <= 0) {
                throw new SafetensorsException(file, "the image size is not stored in a torch checkpoint and no preset has this shape (P="
                        + P + ", C=" + C + ", hidden=" + D + ", depth=" + depth + ", heads=" + D / hd + ", classes=" + classes + "): give it (dip: --image-size PX)");
            }
        }
        try {
            return new DipConfig(size, P, C, D, depth, D / hd, classes, width, head, false);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(file, "the tensors imply an invalid config: " + e.getMessage());
        }
    }

    /**
     * Copies the weights into {@code reg}, all or nothing: every param must be there with its shape and no tensor may
     * be left over (names and both shapes in the message otherwise).
     */
    public static void loadInto(Path file, Map<String, Tensor> weights, ParamRegistry reg) throws SafetensorsException {
        Map<String, int[]> want = new LinkedHashMap<>();
        for (Param p : reg.all()) want.put(p.name(), p.shape());
        check(file, weights, want, null);
        for (Param p : reg.all()) p.load(weights.get(p.name()).floats());
    }

    /**
     * Converts a torch checkpoint to the project's safetensors (official names without prefix, F32, metadata
     * {@value ModelWeights#CONFIG_KEY}, "source" and "weights"), atomically. {@code given}/{@code imageSize} as in
     * {@link #config}. Returns the config written. Nothing is written when anything is wrong.
     */
    public static DipConfig convert(Path in, Path out, Weights which, DipConfig given, int imageSize) throws IOException {
        Map<String, Tensor> w = load(in, which);
        DipConfig cfg = config(in, w, given, imageSize);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(ModelWeights.CONFIG_KEY, DipConfigJson.toJson(cfg));
        meta.put("source", String.valueOf(in.getFileName()));
        meta.put("weights", which.name().toLowerCase(java.util.Locale.ROOT));
        List<Tensor> ordered = new ArrayList<>();
        for (String name : shapes(cfg).keySet()) ordered.add(w.get(name));        // the model's order
        Safetensors.write(out, ordered, meta);
        return cfg;
    }

    /** Every param name and shape of the model {@code cfg} builds (a shapes-only model: no buffers, no weights). */
    static Map<String, int[]> shapes(DipConfig cfg) {
        Map<String, int[]> out = new LinkedHashMap<>();
        for (Param p : Dip.shapes(cfg).params().all()) out.put(p.name(), p.shape());
        return out;
    }

    private static void check(Path file, Map<String, Tensor> w, Map<String, int[]> want, DipConfig cfg) throws SafetensorsException {
        List<String> problems = new ArrayList<>();
        for (var e : w.entrySet()) {
            int[] need = want.get(e.getKey());
            if (need == null) problems.add("tensor " + e.getKey() + " " + Arrays.toString(e.getValue().shape()) + " is not a parameter of this model");
            else if (!Arrays.equals(need, e.getValue().shape())) {
                problems.add("tensor " + e.getKey() + " has shape " + Arrays.toString(e.getValue().shape()) + " but the model expects "
                        + Arrays.toString(need));
            }
        }
        for (var e : want.entrySet()) {
            if (!w.containsKey(e.getKey())) problems.add("tensor " + e.getKey() + " " + Arrays.toString(e.getValue()) + " is missing");
        }
        if (!problems.isEmpty()) {
            String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problems)" : "";
            throw new SafetensorsException(file, problems.get(0) + more + (cfg != null ? " for config " + DipConfigJson.toJson(cfg) : ""));
        }
    }

    private static int[] shape(Path file, Map<String, Tensor> w, String name, int rank) throws SafetensorsException {
        Tensor t = w.get(name);
        if (t == null) throw new SafetensorsException(file, "cannot infer the config: no tensor " + name);
        if (t.shape().length != rank) {
            throw new SafetensorsException(file, "tensor " + name + " has shape " + Arrays.toString(t.shape()) + ", expected rank " + rank);
        }
        return t.shape();
    }

    /** The integer square root when n is a positive perfect square, else -1. */
    private static int isqrt(int n) {
        if (n <= 0) return -1;
        int r = (int) Math.round(Math.sqrt(n));
        return r * r == n ? r : -1;
    }

    private static String abbreviate(java.util.Collection<?> keys) {
        List<String> s = new ArrayList<>();
        for (Object k : keys) {
            if (s.size() == 5) { s.add("… " + keys.size() + " in all"); break; }
            s.add(String.valueOf(k));
        }
        return String.join(", ", s);
    }
}
