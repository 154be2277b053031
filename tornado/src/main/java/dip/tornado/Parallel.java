package dip.tornado;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the loop variable of a loop whose iterations are independent. In a kernel the parallel loop counts from the
 * constant 0 over the range [r0, r1) that the engine passes in:
 * <pre>
 *   for (@Parallel int it = 0; it < r1 - r0; it++) {
 *       int r = r0 + it;
 *       ...
 *   }
 * </pre>
 * The CPU engine hands each thread a slice [r0, r1); TornadoVM runs the whole range with r0 = 0, r1 = n. The start
 * must be the constant 0, not {@code r0}: TornadoVM (checked on 5.2.0) turns an annotated loop into device
 * work-items only when its start is a constant, and bails out on {@code for (@Parallel int r = r0; ...)}
 * (KernelBytecodeTest enforces the constant start).
 * <p>
 * The project's own twin of TornadoVM's {@code uk.ac.manchester.tornado.api.annotations.Parallel}, so the kernels
 * compile with no TornadoVM jar. TornadoVM is told this name at launch, after its argfile (which names its own):
 * {@code java @$TORNADOVM_HOME/tornado-argfile -Dtornado.load.annotation.parallel=dip.tornado.Parallel ...}.
 * It is a type annotation, so javac writes it into the class file (RuntimeVisibleTypeAnnotations, tied to the
 * LocalVariableTable) where TornadoVM and our bytecode test read it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.LOCAL_VARIABLE, ElementType.TYPE_USE})
public @interface Parallel {
}
