package dip.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted unpickler for the {@code data.pkl} of a {@code torch.save} archive. It never executes anything: a
 * pickle is a program for a stack machine whose GLOBAL opcodes name Python callables and whose REDUCE/NEWOBJ opcodes
 * call them; here every named global must be on a short allow-list, and "calling" one runs a fixed Java function
 * that only builds data (a map, a set, a tensor reference). A global off the list is refused the moment it is
 * named, before anything could use it, with one line naming it.
 * <p>
 * What comes out: {@code null} (None), Boolean, Long or BigInteger (int), Double (float), String (str), byte[]
 * (bytes, bytearray), {@link Tuple}, List (list), Map (dict, OrderedDict; insertion order kept), Set (set,
 * frozenset), {@link Global} (a dtype or storage class named as a value), {@link StorageRef} (a persistent id:
 * a storage in the archive) and {@link TensorRef} (a tensor view of a storage: offset, shape, strides). Nothing is
 * read from storages here.
 * <p>
 * Allowed globals (module and name exactly; {@code __builtin__} is protocol 2's spelling of {@code builtins}):
 * <ul>
 *   <li>{@code collections.OrderedDict}, {@code builtins.dict}, {@code builtins.set}, {@code builtins.frozenset} — containers;
 *   <li>{@code _codecs.encode} with encoding latin1 — how protocol 2 writes a bytes object;
 *   <li>{@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_tensor}, {@code _rebuild_parameter},
 *       {@code _rebuild_parameter_with_state} — a tensor or parameter over a storage; {@code torch.Size};
 *   <li>{@code torch.<T>Storage} for Float, Half, BFloat16, Double, Long, Int, Short, Char, Byte, Bool —
 *       the storage types named in persistent ids; torch dtypes ({@code torch.float32} …) as plain values;
 *   <li>Lightning's {@code AttributeDict} (a dict subclass that hyper-parameters may be saved as).
 * </ul>
 * Opcodes: every binary opcode of protocols 2–5 that builds data (PROTO, FRAME, STOP, MARK, POP, POP_MARK, DUP,
 * NONE, NEWTRUE, NEWFALSE, BININT, BININT1, BININT2, LONG1, LONG4, BINFLOAT, BINUNICODE, SHORT_BINUNICODE,
 * BINUNICODE8, BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8, EMPTY_TUPLE, TUPLE, TUPLE1–3, EMPTY_LIST, LIST,
 * APPEND, APPENDS, EMPTY_DICT, DICT, SETITEM, SETITEMS, EMPTY_SET, ADDITEMS, FROZENSET, BINPUT, LONG_BINPUT, MEMOIZE,
 * BINGET, LONG_BINGET, GLOBAL, STACK_GLOBAL, REDUCE, NEWOBJ, NEWOBJ_EX, BUILD, BINPERSID). The text opcodes of
 * protocol 0/1, INST/OBJ (instantiate any class), the extension registry and out-of-band buffers are refused.
 */
public final class TorchPickle {
    /** A Python tuple. Equal by content (usable as a dict key). */
    public record Tuple(List<Object> items) {
        public Tuple { items = Collections.unmodifiableList(new ArrayList<>(items)); }

        public int size() { return items.size(); }

        public Object get(int i) { return items.get(i); }
    }

    /** An allowed global used as a value, e.g. {@code torch.FloatStorage} or {@code torch.bfloat16}. */
    public record Global(String module, String name) {
        @Override public String toString() { return module + "." + name; }
    }

    /** Element types of torch storages; {@code bytes} per element. */
    public enum StorageType {
        F32("FloatStorage", 4), F16("HalfStorage", 2), BF16("BFloat16Storage", 2), F64("DoubleStorage", 8),
        I64("LongStorage", 8), I32("IntStorage", 4), I16("ShortStorage", 2), I8("CharStorage", 1),
        U8("ByteStorage", 1), BOOL("BoolStorage", 1);

        public final String torchName;
        public final int bytes;

        StorageType(String torchName, int bytes) { this.torchName = torchName; this.bytes = bytes; }

        static StorageType byTorchName(String n) {
            for (StorageType t : values()) if (t.torchName.equals(n)) return t;
            return null;
        }
    }

    /** A storage of the archive ({@code data/<key>}), {@code numel} elements of {@code type}. */
    public record StorageRef(String key, StorageType type, long numel, String location) {}

    /** A tensor: {@code shape} elements of {@code storage} starting at element {@code offset}, with element strides. */
    public record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
        public TensorRef {
            shape = shape.clone();
            stride = stride.clone();
        }

        @Override public long[] shape() { return shape.clone(); }

        @Override public long[] stride() { return stride.clone(); }

        @Override public String toString() { return "tensor " + storage.type() + Arrays.toString(shape) + " in storage " + storage.key(); }
    }

    private static final Set<String> TORCH_DTYPES = Set.of("float32", "float", "float16", "half", "bfloat16", "float64",
            "double", "int64", "long", "int32", "int", "int16", "short", "int8", "uint8", "bool", "complex64", "complex128");
    private static final Set<String> ATTRIBUTE_DICTS = Set.of("pytorch_lightning.utilities.parsing.AttributeDict",
            "lightning_fabric.utilities.data.AttributeDict", "lightning.fabric.utilities.data.AttributeDict",
            "lightning.pytorch.utilities.parsing.AttributeDict");
    private static final Object MARK = new Object() {
        @Override public String toString() { return "MARK"; }
    };
    private static final int MAX_KEY_DEPTH = 32;

    private final byte[] d;
    private final Path file;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final HashMap<Long, Object> memo = new HashMap<>();

    private TorchPickle(byte[] data, Path file) {
        this.d = data;
        this.file = file;
    }

    /**
     * Unpickles {@code data} (the bytes of data.pkl); {@code file} only names the source in messages. Any problem is a
     * {@link SafetensorsException} "file: problem" in one line.
     */
    public static Object load(byte[] data, Path file) throws SafetensorsException {
        TorchPickle p = new TorchPickle(data, file);
        try {
            return p.run();
        } catch (Bad e) {
            throw new SafetensorsException(file, "data.pkl: " + e.getMessage());
        } catch (StackOverflowError e) {
            throw new SafetensorsException(file, "data.pkl: nesting too deep");
        }
    }

    /** A problem found while unpickling (unchecked inside, converted to a SafetensorsException at the boundary). */
    private static final class Bad extends RuntimeException {
        Bad(String m) { super(m, null, false, false); }
    }

    private Bad bad(int at, String what) { return new Bad(what + " (at byte " + at + ")"); }

    // ---------------------------------------------------------------- the machine

    private Object run() {
        while (true) {
            int at = pos;
            int op = u8(at);
            switch (op) {
                case 0x80 -> {                                                        // PROTO
                    int v = u8(at);
                    if (v < 2 || v > 5) throw bad(at, "pickle protocol " + v + " is not supported (torch.save writes 2; 2-5 are read)");
                }
                case 0x95 -> i64(at);                                                 // FRAME: a length hint only
                case '.' -> {                                                          // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw bad(at, "STOP with " + stack.size() + " values and " + marks.size() + " marks on the stack (malformed pickle)");
                    }
                    Object r = stack.get(0);
                    if (r == MARK) throw bad(at, "STOP on a MARK");
                    return r;
                }
                case '(' -> { marks.add(stack.size()); stack.add(MARK); }             // MARK
                case '0' -> pop(at);                                                   // POP
                case '1' -> popMark(at);                                               // POP_MARK
                case '2' -> push(peek(at));                                            // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) i32(at));                                     // BININT
                case 'K' -> push((long) u8(at));                                      // BININT1
                case 'M' -> push((long) u16(at));                                     // BININT2
                case 0x8a -> push(longN(at, u8(at)));                                 // LONG1
                case 0x8b -> push(longN(at, len(at, i32(at) & 0xFFFFFFFFL)));         // LONG4
                case 'G' -> push(Double.longBitsToDouble(i64be(at)));                 // BINFLOAT (big-endian)
                case 'X' -> push(utf8(at, len(at, i32(at) & 0xFFFFFFFFL)));           // BINUNICODE
                case 0x8c -> push(utf8(at, u8(at)));                                  // SHORT_BINUNICODE
                case 0x8d -> push(utf8(at, len(at, i64(at))));                        // BINUNICODE8
                case 'B' -> push(bytes(at, len(at, i32(at) & 0xFFFFFFFFL)));          // BINBYTES
                case 'C' -> push(bytes(at, u8(at)));                                  // SHORT_BINBYTES
                case 0x8e, 0x96 -> push(bytes(at, len(at, i64(at))));                 // BINBYTES8, BYTEARRAY8
                case ')' -> push(new Tuple(List.of()));                               // EMPTY_TUPLE
                case 't' -> push(new Tuple(popMark(at)));                             // TUPLE
                case 0x85 -> push(tupleOf(at, 1));
                case 0x86 -> push(tupleOf(at, 2));
                case 0x87 -> push(tupleOf(at, 3));
                case ']' -> push(new ArrayList<>());                                  // EMPTY_LIST
                case 'l' -> push(new ArrayList<>(popMark(at)));                       // LIST
                case 'a' -> { Object v = pop(at); list(at, peek(at)).add(v); }       // APPEND
                case 'e' -> { List<Object> vs = popMark(at); list(at, peek(at)).addAll(vs); }   // APPENDS
                case '}' -> push(new LinkedHashMap<>());                              // EMPTY_DICT
                case 'd' -> { Map<Object, Object> m = new LinkedHashMap<>(); putAll(at, m, popMark(at)); push(m); }   // DICT
                case 's' -> { Object v = pop(at); Object k = pop(at); put(at, map(at, peek(at)), k, v); }            // SETITEM
                case 'u' -> { List<Object> kv = popMark(at); putAll(at, map(at, peek(at)), kv); }                    // SETITEMS
                case 0x8f -> push(new LinkedHashSet<>());                             // EMPTY_SET
                case 0x90 -> { List<Object> vs = popMark(at); Set<Object> s = set(at, peek(at)); for (Object v : vs) s.add(key(at, v)); }  // ADDITEMS
                case 0x91 -> { Set<Object> s = new LinkedHashSet<>(); for (Object v : popMark(at)) s.add(key(at, v)); push(Collections.unmodifiableSet(s)); } // FROZENSET
                case 'q' -> memo.put((long) u8(at), peek(at));                        // BINPUT
                case 'r' -> memo.put(i32(at) & 0xFFFFFFFFL, peek(at));               // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek(at));                  // MEMOIZE
                case 'h' -> push(get(at, u8(at)));                                    // BINGET
                case 'j' -> push(get(at, i32(at) & 0xFFFFFFFFL));                     // LONG_BINGET
                case 'c' -> { String m = line(at); String n = line(at); push(global(at, m, n)); }   // GLOBAL
                case 0x93 -> {                                                         // STACK_GLOBAL
                    Object n = pop(at), m = pop(at);
                    if (!(m instanceof String ms) || !(n instanceof String ns)) throw bad(at, "STACK_GLOBAL needs two strings");
                    push(global(at, ms, ns));
                }
                case 'R' -> { Object args = pop(at); Object f = pop(at); push(call(at, f, tuple(at, args, "REDUCE arguments"))); }   // REDUCE
                case 0x81 -> { Object args = pop(at); Object cls = pop(at); push(call(at, cls, tuple(at, args, "NEWOBJ arguments"))); } // NEWOBJ
                case 0x92 -> {                                                         // NEWOBJ_EX
                    Object kw = pop(at), args = pop(at), cls = pop(at);
                    if (!(kw instanceof Map<?, ?> km) || !km.isEmpty()) throw bad(at, "NEWOBJ_EX with keyword arguments is not supported");
                    push(call(at, cls, tuple(at, args, "NEWOBJ_EX arguments")));
                }
                case 'b' -> { Object state = pop(at); build(at, peek(at), state); }   // BUILD
                case 'Q' -> push(persistent(at, pop(at)));                            // BINPERSID
                default -> throw bad(at, refusedOpcode(op));
            }
        }
    }

    private static String refusedOpcode(int op) {
        String name = switch (op) {
            case 'i' -> "INST (instantiates an arbitrary class)";
            case 'o' -> "OBJ (instantiates an arbitrary class)";
            case 0x82, 0x83, 0x84 -> "EXT (the copyreg extension registry)";
            case 'P' -> "PERSID (text persistent id)";
            case 0x97, 0x98 -> "out-of-band buffer";
            case 'I', 'L', 'F', 'S', 'V', 'T', 'U', 'g', 'p' -> "'" + (char) op + "' (a protocol 0/1 text opcode)";
            default -> null;
        };
        String hex = String.format("0x%02x", op);
        return name != null ? "unsupported pickle opcode " + hex + " " + name
                : "unknown pickle opcode " + hex + (op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : "");
    }

    // ---------------------------------------------------------------- globals: the allow-list and what "calling" does

    private Global global(int at, String module, String name) {
        String full = module + "." + name;
        boolean ok = switch (module) {
            case "collections" -> name.equals("OrderedDict");
            case "builtins", "__builtin__" -> name.equals("set") || name.equals("frozenset") || name.equals("dict");
            case "_codecs" -> name.equals("encode");
            case "torch._utils" -> name.equals("_rebuild_tensor_v2") || name.equals("_rebuild_tensor")
                    || name.equals("_rebuild_parameter") || name.equals("_rebuild_parameter_with_state");
            case "torch" -> name.equals("Size") || StorageType.byTorchName(name) != null || TORCH_DTYPES.contains(name);
            default -> ATTRIBUTE_DICTS.contains(full);
        };
        if (!ok) {
            throw bad(at, "refusing pickle global " + full + " (only torch tensor/storage globals and plain containers are allowed;"
                    + " nothing was run)");
        }
        return new Global(module.equals("__builtin__") ? "builtins" : module, name);
    }

    private Object call(int at, Object f, Tuple a) {
        if (!(f instanceof Global g)) throw bad(at, "call of a " + typeName(f) + ", not of an allowed global");
        String full = g.toString();
        switch (full) {
            case "collections.OrderedDict", "builtins.dict" -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (a.size() == 1 && a.get(0) instanceof Map<?, ?> src) {
                    for (var e : src.entrySet()) put(at, m, e.getKey(), e.getValue());
                } else if (a.size() == 1 && a.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        if (!(p instanceof Tuple t) || t.size() != 2) throw bad(at, full + " of a list that is not of (key, value) pairs");
                        put(at, m, t.get(0), t.get(1));
                    }
                } else if (a.size() != 0) {
                    throw bad(at, full + " with " + a.size() + " arguments");
                }
                return m;
            }
            case "builtins.set", "builtins.frozenset" -> {
                Set<Object> s = new LinkedHashSet<>();
                if (a.size() == 1 && a.get(0) instanceof List<?> items) {
                    for (Object v : items) s.add(key(at, v));
                } else if (a.size() != 0) {
                    throw bad(at, full + " needs a list argument");
                }
                return full.endsWith("frozenset") ? Collections.unmodifiableSet(s) : s;
            }
            case "_codecs.encode" -> {
                if (a.size() != 2 || !(a.get(0) instanceof String s) || !(a.get(1) instanceof String enc)
                        || !(enc.equals("latin1") || enc.equals("latin-1"))) {
                    throw bad(at, "_codecs.encode is allowed only as (str, 'latin1'), how protocol 2 writes bytes");
                }
                for (int i = 0; i < s.length(); i++) if (s.charAt(i) > 0xFF) throw bad(at, "_codecs.encode: character beyond latin1");
                return s.getBytes(StandardCharsets.ISO_8859_1);
            }
            case "torch.Size" -> {
                if (a.size() == 1 && a.get(0) instanceof Tuple t) return t;
                if (a.size() == 0) return new Tuple(List.of());
                throw bad(at, "torch.Size needs one tuple");
            }
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> {
                int min = full.endsWith("_v2") ? 6 : 4, max = full.endsWith("_v2") ? 7 : 4;
                if (a.size() < min || a.size() > max) throw bad(at, full + " with " + a.size() + " arguments (expected " + min + (max > min ? "-" + max : "") + ")");
                if (!(a.get(0) instanceof StorageRef s)) throw bad(at, full + ": first argument is a " + typeName(a.get(0)) + ", not a storage");
                long off = nonNegative(at, a.get(1), "storage offset");
                long[] shape = longs(at, a.get(2), "size");
                long[] stride = longs(at, a.get(3), "stride");
                if (shape.length != stride.length) {
                    throw bad(at, "tensor size " + Arrays.toString(shape) + " and stride " + Arrays.toString(stride) + " differ in rank");
                }
                return new TensorRef(s, off, shape, stride);
            }
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                if (a.size() < 3 || !(a.get(0) instanceof TensorRef t)) throw bad(at, full + " needs a tensor as its first argument");
                return t;
            }
            default -> {
                if (ATTRIBUTE_DICTS.contains(full)) {
                    if (a.size() == 0) return new LinkedHashMap<>();
                    return call(at, new Global("builtins", "dict"), a);
                }
                throw bad(at, "pickle calls " + full + ", which is allowed only as a value");
            }
        }
    }

    /** BUILD: sets state on an object. Only the harmless cases torch.save produces: attributes of a dict (a state
     * dict's {@code _metadata}) and no-op state on a tensor. */
    private void build(int at, Object obj, Object state) {
        if (obj instanceof Map<?, ?>) {
            if (state == null || state instanceof Map<?, ?> || state instanceof Tuple) return;   // instance attributes: dropped
        } else if (obj instanceof TensorRef) {
            if (state == null || state instanceof Map<?, ?> m && m.isEmpty()) return;
            if (state instanceof Tuple t && t.items().stream().allMatch(x -> x == null || x instanceof Map<?, ?> m && m.isEmpty())) return;
        }
        throw bad(at, "BUILD of a " + typeName(obj) + " with a " + typeName(state) + " state is not supported");
    }

    /** BINPERSID: torch's ('storage', storage_type, key, location, numel). */
    private StorageRef persistent(int at, Object pid) {
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw bad(at, "persistent id is not ('storage', type, key, location, numel): a " + typeName(pid)
                    + (pid instanceof Tuple t2 ? " of " + t2.size() : ""));
        }
        if (!(t.get(1) instanceof Global g) || !g.module().equals("torch") || StorageType.byTorchName(g.name()) == null) {
            throw bad(at, "storage type " + t.get(1) + " is not supported (known: FloatStorage, HalfStorage, BFloat16Storage, "
                    + "DoubleStorage, LongStorage, IntStorage, ShortStorage, CharStorage, ByteStorage, BoolStorage)");
        }
        if (!(t.get(2) instanceof String key) || key.isEmpty() || key.contains("/") || key.contains("..")) {
            throw bad(at, "storage key " + t.get(2) + " is not a plain name");
        }
        String loc = t.get(3) instanceof String s ? s : String.valueOf(t.get(3));
        long numel = nonNegative(at, t.get(4), "storage numel");
        return new StorageRef(key, StorageType.byTorchName(g.name()), numel, loc);
    }

    // ---------------------------------------------------------------- stack and containers

    private void push(Object o) { stack.add(o); }

    private Object pop(int at) {
        if (stack.isEmpty()) throw bad(at, "stack underflow (malformed pickle)");
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) throw bad(at, "unexpected MARK (malformed pickle)");
        return o;
    }

    private Object peek(int at) {
        if (stack.isEmpty()) throw bad(at, "stack underflow (malformed pickle)");
        Object o = stack.get(stack.size() - 1);
        if (o == MARK) throw bad(at, "unexpected MARK (malformed pickle)");
        return o;
    }

    private List<Object> popMark(int at) {
        if (marks.isEmpty()) throw bad(at, "no MARK on the stack (malformed pickle)");
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Tuple tupleOf(int at, int n) {
        Object[] v = new Object[n];
        for (int i = n - 1; i >= 0; i--) v[i] = pop(at);
        return new Tuple(Arrays.asList(v));
    }

    private Object get(int at, long i) {
        if (!memo.containsKey(i)) throw bad(at, "memo key " + i + " was never stored (malformed pickle)");
        return memo.get(i);
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(int at, Object o) {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw bad(at, "APPEND to a " + typeName(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> map(int at, Object o) {
        if (o instanceof LinkedHashMap<?, ?> m) return (Map<Object, Object>) m;
        throw bad(at, "SETITEM on a " + typeName(o) + ", not a dict");
    }

    @SuppressWarnings("unchecked")
    private Set<Object> set(int at, Object o) {
        if (o instanceof LinkedHashSet<?> s) return (Set<Object>) s;
        throw bad(at, "ADDITEMS on a " + typeName(o) + ", not a set");
    }

    private void putAll(int at, Map<Object, Object> m, List<Object> kv) {
        if (kv.size() % 2 != 0) throw bad(at, "odd number of items for a dict");
        for (int i = 0; i < kv.size(); i += 2) put(at, m, kv.get(i), kv.get(i + 1));
    }

    private void put(int at, Map<Object, Object> m, Object k, Object v) { m.put(key(at, k), v); }

    /** A dict key or set item must be hashable the way Python's are: scalars and tuples of them (no cycles possible). */
    private Object key(int at, Object k) {
        if (!hashable(k, 0)) throw bad(at, "a " + typeName(k) + " cannot be a dict key or set item");
        return k;
    }

    private static boolean hashable(Object k, int depth) {
        if (depth > MAX_KEY_DEPTH) return false;
        if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                || k instanceof Boolean || k instanceof Global) return true;
        if (k instanceof Tuple t) {
            for (Object o : t.items()) if (!hashable(o, depth + 1)) return false;
            return true;
        }
        return false;
    }

    private Tuple tuple(int at, Object o, String what) {
        if (o instanceof Tuple t) return t;
        throw bad(at, what + " must be a tuple, got a " + typeName(o));
    }

    private long nonNegative(int at, Object o, String what) {
        if (o instanceof Long l && l >= 0) return l;
        throw bad(at, what + " must be a non-negative int, got " + (o instanceof Long ? o : "a " + typeName(o)));
    }

    private long[] longs(int at, Object o, String what) {
        if (!(o instanceof Tuple t)) throw bad(at, "tensor " + what + " must be a tuple, got a " + typeName(o));
        long[] r = new long[t.size()];
        for (int i = 0; i < r.length; i++) r[i] = nonNegative(at, t.get(i), "tensor " + what + " entry");
        return r;
    }

    /** Python-ish type names for messages (never the values: they may be large or cyclic). */
    static String typeName(Object o) {
        if (o == null) return "None";
        if (o instanceof Tuple) return "tuple";
        if (o instanceof List<?>) return "list";
        if (o instanceof Map<?, ?>) return "dict";
        if (o instanceof Set<?>) return "set";
        if (o instanceof String) return "str";
        if (o instanceof Long || o instanceof BigInteger) return "int";
        if (o instanceof Double) return "float";
        if (o instanceof Boolean) return "bool";
        if (o instanceof byte[]) return "bytes";
        if (o instanceof Global g) return "global " + g;
        if (o instanceof StorageRef) return "storage";
        if (o instanceof TensorRef) return "tensor";
        return o.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- reading operands

    private int u8(int at) {
        if (pos >= d.length) throw bad(at, "pickle ends early (truncated data.pkl, no STOP)");
        return d[pos++] & 0xFF;
    }

    private void need(int at, long n) {
        if (n > d.length - pos) throw bad(at, "pickle ends early: an operand of " + n + " bytes runs past the end (truncated data.pkl)");
    }

    private int u16(int at) {
        need(at, 2);
        int v = (d[pos] & 0xFF) | (d[pos + 1] & 0xFF) << 8;
        pos += 2;
        return v;
    }

    private int i32(int at) {
        need(at, 4);
        int v = ByteBuffer.wrap(d, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        pos += 4;
        return v;
    }

    private long i64(int at) {
        need(at, 8);
        long v = ByteBuffer.wrap(d, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        pos += 8;
        return v;
    }

    private long i64be(int at) {
        need(at, 8);
        long v = ByteBuffer.wrap(d, pos, 8).order(ByteOrder.BIG_ENDIAN).getLong();
        pos += 8;
        return v;
    }

    /** A length operand, checked against what is left before anything is allocated. */
    private int len(int at, long n) {
        if (n < 0 || n > d.length - pos) throw bad(at, "pickle ends early: a length of " + n + " runs past the end (truncated data.pkl)");
        return (int) n;
    }

    private String utf8(int at, int n) {
        need(at, n);
        String s = new String(d, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    private byte[] bytes(int at, int n) {
        need(at, n);
        byte[] b = Arrays.copyOfRange(d, pos, pos + n);
        pos += n;
        return b;
    }

    /** LONG1/LONG4: little-endian two's complement of n bytes. */
    private Object longN(int at, int n) {
        need(at, n);
        byte[] be = new byte[Math.max(n, 1)];
        for (int i = 0; i < n; i++) be[n - 1 - i] = d[pos + i];
        pos += n;
        BigInteger v = n == 0 ? BigInteger.ZERO : new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String line(int at) {
        int start = pos;
        while (pos < d.length && d[pos] != '\n') {
            if (pos - start > 256) throw bad(at, "GLOBAL name longer than 256 bytes");
            pos++;
        }
        if (pos >= d.length) throw bad(at, "pickle ends early inside a GLOBAL name (truncated data.pkl)");
        String s = new String(d, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }
}
