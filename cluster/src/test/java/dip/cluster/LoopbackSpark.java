package dip.cluster;

import org.apache.spark.api.java.JavaSparkContext;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A real Spark cluster on 127.0.0.1 for the tests, one per test JVM: local-cluster[2,1,1024] runs a standalone
 * Master and two Workers in this JVM, and each Worker starts its executor as a separate JVM, as on a real cluster.
 * Spark's Worker builds the executor command from SPARK_HOME; the surefire configuration points SPARK_HOME at a
 * stand-in folder made here (a RELEASE file and an empty jars/), and the executors get this JVM's class path through
 * spark.executor.extraClassPath, so the Maven jars are all that is needed.
 */
final class LoopbackSpark {
    static final String MASTER = "local-cluster[2,1,1024]";
    private static JavaSparkContext sc;

    private LoopbackSpark() {
    }

    static synchronized JavaSparkContext context() throws IOException {
        if (sc != null) return sc;
        Path home = Path.of(System.getenv().getOrDefault("SPARK_HOME", "target/spark-home"));
        Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "Spark stand-in for dip-cluster tests (jars come from the class path)\n");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        System.setProperty("spark.executor.extraClassPath", cp);
        System.setProperty("spark.ui.enabled", "false");
        System.setProperty("spark.driver.host", "127.0.0.1");
        System.setProperty("spark.driver.bindAddress", "127.0.0.1");
        System.setProperty("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
        // a barrier stage waits until every executor JVM has registered; look again each second, not each 15 s
        System.setProperty("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        System.setProperty("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "120");
        sc = SparkLauncher.context(MASTER, "dip-cluster tests");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> sc.stop()));
        return sc;
    }

    /** n gray S×S PNG images in two class folders (a and b), random pixels from seed. */
    static Path imageFolder(Path dir, int n, int S, long seed) throws IOException {
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            Path cls = dir.resolve(i % 2 == 0 ? "a" : "b");
            Files.createDirectories(cls);
            BufferedImage img = new BufferedImage(S, S, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < S; y++) for (int x = 0; x < S; x++) img.getRaster().setSample(x, y, 0, r.nextInt(256));
            ImageIO.write(img, "png", new File(cls.toFile(), String.format("%03d.png", i)));
        }
        return dir;
    }
}
