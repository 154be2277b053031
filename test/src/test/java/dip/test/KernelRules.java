package dip.test;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.LocalVariableAnnotationNode;
import org.objectweb.asm.tree.LocalVariableNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.VarInsnNode;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel rules (docs/code-rules.md §1) checked on bytecode, which is what TornadoVM compiles: every public
 * static method of a class in one package is void (a helper that kernels call may return a primitive), takes only primitives and 1-D primitive arrays, allocates
 * nothing, throws nothing, locks nothing, makes no lambdas or string concatenations, calls only java.lang.Math /
 * StrictMath and static helpers of the same package that obey the same rules (no recursion), reads no mutable
 * or object static fields (an {@code assert} shows up as {@code $assertionsDisabled}) and keeps its
 * LocalVariableTable; each class has at least one {@code @Parallel} loop variable, and so has each
 * {@code *Forward} / {@code *Backward} method; and every {@code @Parallel} variable is initialised to the constant 0
 * (TornadoVM parallelises only a loop whose start is a constant, so a kernel loops
 * {@code for (@Parallel int it = 0; it < r1 - r0; it++) { int r = r0 + it; ... }}, never from {@code r0}).
 * {@link #check} returns one line per violation.
 */
final class KernelRules {
    static final String PARALLEL = "Ldip/tornado/Parallel;";

    private final String pkg;                                   // internal name prefix, e.g. "dip/tornado/kernels/"
    private final Map<String, ClassNode> classes = new LinkedHashMap<>();

    KernelRules(String pkg) {
        this.pkg = pkg;
    }

    /** Adds a class file (its bytes) to the set under check. */
    KernelRules add(InputStream classFile) throws IOException {
        ClassNode cn = new ClassNode();
        new ClassReader(classFile).accept(cn, 0);
        classes.put(cn.name, cn);
        return this;
    }

    /** Adds a class already read (tests use it to tamper with one). */
    KernelRules add(ClassNode cn) {
        classes.put(cn.name, cn);
        return this;
    }

    Map<String, ClassNode> classes() { return classes; }

    List<String> check() {
        Set<String> helpers = new HashSet<>();                  // methods some kernel calls: they may return a primitive
        for (ClassNode cn : classes.values()) {
            for (MethodNode mn : cn.methods) {
                for (AbstractInsnNode in : mn.instructions) {
                    if (in instanceof MethodInsnNode mi && in.getOpcode() == Opcodes.INVOKESTATIC) helpers.add(mi.owner + "." + mi.name + mi.desc);
                }
            }
        }
        Set<String> v = new LinkedHashSet<>();                  // a helper reached from many kernels is reported once
        for (ClassNode cn : classes.values()) {
            if (!cn.name.startsWith(pkg) || cn.name.contains("$")) continue;
            boolean anyParallel = false;
            for (MethodNode mn : cn.methods) {
                boolean parallel = hasParallel(mn);
                anyParallel |= parallel;
                checkParallelStartsAtZero(cn, mn, v);
                boolean kernel = (mn.access & Opcodes.ACC_PUBLIC) != 0 && (mn.access & Opcodes.ACC_STATIC) != 0
                        && !mn.name.startsWith("<");
                if (!kernel) continue;
                checkMethod(cn, mn, v, new HashSet<>(), new ArrayList<>(), !helpers.contains(cn.name + "." + mn.name + mn.desc));
                if ((mn.name.endsWith("Forward") || mn.name.endsWith("Backward")) && !parallel) {
                    v.add(where(cn, mn) + ": no @Parallel loop variable (a *Forward/*Backward kernel needs one)");
                }
            }
            if (!anyParallel) v.add(simple(cn.name) + ": no @Parallel local variable in the class");
        }
        return new ArrayList<>(v);
    }

    /** entry: a kernel (must return void); else a helper a kernel calls (may return a primitive). */
    private void checkMethod(ClassNode cn, MethodNode mn, Set<String> v, Set<String> done, List<String> stack, boolean entry) {
        String id = cn.name + "." + mn.name + mn.desc;
        if (!done.add(id)) return;
        stack.add(id);
        String at = where(cn, mn);
        Type mt = Type.getMethodType(mn.desc);
        int ret = mt.getReturnType().getSort();
        if (entry && ret != Type.VOID) {
            v.add(at + ": returns " + mt.getReturnType().getClassName() + ", not void (only a helper that a kernel calls may return a primitive)");
        } else if (ret > Type.DOUBLE) {
            v.add(at + ": returns " + mt.getReturnType().getClassName() + " (helpers may return only primitives)");
        }
        for (Type p : mt.getArgumentTypes()) {
            boolean prim = p.getSort() <= Type.DOUBLE;
            boolean primArray = p.getSort() == Type.ARRAY && p.getDimensions() == 1 && p.getElementType().getSort() <= Type.DOUBLE;
            if (!prim && !primArray) v.add(at + ": parameter of type " + p.getClassName() + " (only primitives and primitive arrays)");
        }
        if (mn.localVariables == null || mn.localVariables.isEmpty()) {
            v.add(at + ": no LocalVariableTable (compile with -g: TornadoVM reads @Parallel through it)");
        }
        if ((mn.access & Opcodes.ACC_SYNCHRONIZED) != 0) v.add(at + ": synchronized");
        for (AbstractInsnNode in : mn.instructions) {
            int op = in.getOpcode();
            switch (op) {
                case Opcodes.NEW, Opcodes.NEWARRAY, Opcodes.ANEWARRAY, Opcodes.MULTIANEWARRAY -> v.add(at + ": allocates (" + opName(op) + ")");
                case Opcodes.ATHROW -> v.add(at + ": throws (ATHROW)");
                case Opcodes.MONITORENTER, Opcodes.MONITOREXIT -> v.add(at + ": locks (" + opName(op) + ")");
                case Opcodes.INVOKEDYNAMIC -> v.add(at + ": INVOKEDYNAMIC (a lambda, method reference or string concatenation)");
                case Opcodes.INVOKEVIRTUAL, Opcodes.INVOKEINTERFACE, Opcodes.INVOKESPECIAL -> {
                    MethodInsnNode mi = (MethodInsnNode) in;
                    v.add(at + ": instance call " + opName(op) + " " + mi.owner + "." + mi.name);
                }
                case Opcodes.INVOKESTATIC -> checkStaticCall(at, (MethodInsnNode) in, v, done, stack);
                case Opcodes.GETSTATIC -> checkStaticField(at, (FieldInsnNode) in, v);
                case Opcodes.PUTSTATIC, Opcodes.GETFIELD, Opcodes.PUTFIELD ->
                        v.add(at + ": field access " + opName(op) + " " + ((FieldInsnNode) in).name);
                case Opcodes.CHECKCAST, Opcodes.INSTANCEOF -> v.add(at + ": object type test " + opName(op));
                case Opcodes.LDC -> {
                    Object c = ((LdcInsnNode) in).cst;
                    if (!(c instanceof Number)) v.add(at + ": loads an object constant (" + c.getClass().getSimpleName() + ")");
                }
                default -> { }
            }
        }
        stack.remove(stack.size() - 1);
    }

    private void checkStaticCall(String at, MethodInsnNode mi, Set<String> v, Set<String> done, List<String> stack) {
        if (mi.owner.equals("java/lang/Math") || mi.owner.equals("java/lang/StrictMath")) return;
        ClassNode owner = classes.get(mi.owner);
        if (!mi.owner.startsWith(pkg) || owner == null) {
            v.add(at + ": calls " + mi.owner.replace('/', '.') + "." + mi.name + " (only Math and helpers of " + pkg + ")");
            return;
        }
        String id = mi.owner + "." + mi.name + mi.desc;
        if (stack.contains(id)) {
            v.add(at + ": recursion through " + simple(mi.owner) + "." + mi.name);
            return;
        }
        for (MethodNode callee : owner.methods) {
            if (callee.name.equals(mi.name) && callee.desc.equals(mi.desc)) {
                if ((callee.access & Opcodes.ACC_STATIC) == 0) v.add(at + ": calls instance method " + mi.name);
                else checkMethod(owner, callee, v, done, stack, false);
                return;
            }
        }
        v.add(at + ": calls " + mi.name + " not found in " + mi.owner);
    }

    private void checkStaticField(String at, FieldInsnNode fi, Set<String> v) {
        if (fi.name.equals("$assertionsDisabled")) {
            v.add(at + ": uses assert ($assertionsDisabled)");
            return;
        }
        ClassNode owner = classes.get(fi.owner);
        FieldNode f = null;
        if (owner != null) for (FieldNode fn : owner.fields) if (fn.name.equals(fi.name)) f = fn;
        boolean primitive = Type.getType(fi.desc).getSort() <= Type.DOUBLE;
        if (f == null || (f.access & Opcodes.ACC_FINAL) == 0 || !primitive) {
            v.add(at + ": reads static field " + simple(fi.owner) + "." + fi.name + " (only final primitive constants)");
        }
    }

    static boolean hasParallel(MethodNode mn) {
        return !parallelAnnotations(mn).isEmpty();
    }

    private static List<LocalVariableAnnotationNode> parallelAnnotations(MethodNode mn) {
        List<LocalVariableAnnotationNode> as = new ArrayList<>();
        if (mn.visibleLocalVariableAnnotations != null) as.addAll(mn.visibleLocalVariableAnnotations);
        if (mn.invisibleLocalVariableAnnotations != null) as.addAll(mn.invisibleLocalVariableAnnotations);
        as.removeIf(a -> !PARALLEL.equals(a.desc));
        return as;
    }

    /**
     * Every {@code @Parallel} variable must start at the constant 0: the store that opens its scope (the last
     * instruction before the annotation's start label; javac opens a local's range right after its initialising
     * store) is an ISTORE to its slot, and the value stored is ICONST_0. TornadoVM (5.2) turns an annotated loop into
     * a device loop only when the induction variable has a constant start; {@code int r = r0} makes it bail out.
     */
    private static void checkParallelStartsAtZero(ClassNode cn, MethodNode mn, Set<String> v) {
        for (LocalVariableAnnotationNode a : parallelAnnotations(mn)) {
            for (int k = 0; k < a.index.size(); k++) {
                int slot = a.index.get(k);
                LabelNode start = a.start.get(k);
                AbstractInsnNode store = previousInstruction(start);
                AbstractInsnNode value = store == null ? null : previousInstruction(store);
                boolean ok = store instanceof VarInsnNode vi && vi.getOpcode() == Opcodes.ISTORE && vi.var == slot
                        && value != null && value.getOpcode() == Opcodes.ICONST_0;
                if (!ok) {
                    String name = localName(mn, slot, start);
                    v.add(where(cn, mn) + ": @Parallel variable '" + name + "' is not initialised to the constant 0"
                            + " (TornadoVM parallelises only loops that start at a constant: write"
                            + " for (@Parallel int it = 0; it < " + name + "1 - " + name + "0; it++) { int " + name
                            + " = " + name + "0 + it; ... })");
                }
            }
        }
    }

    /** The closest real instruction before {@code node} (labels, line numbers and frames skipped), or null. */
    private static AbstractInsnNode previousInstruction(AbstractInsnNode node) {
        AbstractInsnNode p = node.getPrevious();
        while (p != null && p.getOpcode() < 0) p = p.getPrevious();
        return p;
    }

    /** The name the LocalVariableTable gives to {@code slot} in the range opening at {@code start}. */
    private static String localName(MethodNode mn, int slot, LabelNode start) {
        if (mn.localVariables != null) {
            for (LocalVariableNode lv : mn.localVariables) if (lv.index == slot && lv.start == start) return lv.name;
            for (LocalVariableNode lv : mn.localVariables) if (lv.index == slot) return lv.name;
        }
        return "slot " + slot;
    }

    private static String where(ClassNode cn, MethodNode mn) {
        return simple(cn.name) + "." + mn.name;
    }

    private static String simple(String internal) {
        return internal.substring(internal.lastIndexOf('/') + 1);
    }

    private static String opName(int op) {
        return switch (op) {
            case Opcodes.NEW -> "NEW";
            case Opcodes.NEWARRAY -> "NEWARRAY";
            case Opcodes.ANEWARRAY -> "ANEWARRAY";
            case Opcodes.MULTIANEWARRAY -> "MULTIANEWARRAY";
            case Opcodes.MONITORENTER -> "MONITORENTER";
            case Opcodes.MONITOREXIT -> "MONITOREXIT";
            case Opcodes.INVOKEVIRTUAL -> "INVOKEVIRTUAL";
            case Opcodes.INVOKEINTERFACE -> "INVOKEINTERFACE";
            case Opcodes.INVOKESPECIAL -> "INVOKESPECIAL";
            case Opcodes.PUTSTATIC -> "PUTSTATIC";
            case Opcodes.GETFIELD -> "GETFIELD";
            case Opcodes.PUTFIELD -> "PUTFIELD";
            case Opcodes.CHECKCAST -> "CHECKCAST";
            case Opcodes.INSTANCEOF -> "INSTANCEOF";
            default -> "opcode " + op;
        };
    }
}
