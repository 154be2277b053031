package dip.tornado;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the loop variable of a loop whose iterations are independent: {@code for (@Parallel int r = r0; r < r1; r++)}.
 * The project's own twin of TornadoVM's {@code uk.ac.manchester.tornado.api.annotations.Parallel}, so the kernels
 * compile with no TornadoVM jar. TornadoVM is told this name at launch with
 * {@code -Dtornado.load.annotation.parallel=dip.tornado.Parallel}. It is a type annotation, so javac writes it into the
 * class file (RuntimeVisibleTypeAnnotations, tied to the LocalVariableTable) where TornadoVM and our bytecode test read it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.LOCAL_VARIABLE, ElementType.TYPE_USE})
public @interface Parallel {
}
