package dip.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The --cluster options without a cluster: the one-line errors, and what the driver hands to the ranks. */
class ClusterOptionsTest {
    record Run(int code, String err) { }

    static Run train(String... args) {
        CommandLine cl = DipCommand.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 3];
        all[0] = "train";
        all[1] = "--epochs";
        all[2] = "1";
        System.arraycopy(args, 0, all, 3, args.length);
        return new Run(cl.execute(all), err.toString());
    }

    @Test
    void badClusterOptionsAreOneLineErrors() {
        Run r = train("--workers", "2");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: --workers and --groups are for --cluster runs"), r.err());
        r = train("--cluster", "local[2]");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("XGBoost's collective is one per process: use local-cluster[2,1,2048]"), r.err());
        r = train("--cluster", "spark://host:7077");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("needs --workers W"), r.err());
        r = train("--cluster", "local-cluster[2,1,1024]", "--groups", "6");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--groups 6 does not suit 2 workers: use W times a power of two"), r.err());
        r = train("--cluster", "local-cluster[2,1,1024]");       // this module has no Spark: says where to get it
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: --cluster needs Spark and the dip-cluster jar on the class path"), r.err());
    }

    @Test
    void localWorkersReadsTheMasterUrl() {
        assertEquals(3, ClusterDriver.localWorkers("local[3]"));
        assertEquals(2, ClusterDriver.localWorkers("local-cluster[2,1,1024]"));
    }

    @Test
    void driverOptionsAreTakenOutOfTheRanksArguments() {
        assertEquals(List.of("--epochs", "2", "--lr", "1e-3"), ClusterDriver.withoutOptions(
                List.of("--cluster", "local[2]", "--epochs", "2", "--workers=2", "--lr", "1e-3", "--out", "x",
                        "--collective-timeout", "60"),
                TrainCommand.DRIVER_ONLY));
    }

    @Test
    void aRestartResumesFromTheFailedAttemptsCheckpoint() throws Exception {
        Path out = Files.createTempDirectory("job");
        var job = new ClusterLauncher.TrainJob("local-cluster[2,1,1024]", 2, 3, 600, "xgboost", List.of("--epochs", "1"), out, null);
        assertEquals(List.of("--epochs", "1"), job.argsFor(0));
        assertEquals(List.of("--epochs", "1"), job.argsFor(1));             // nothing saved yet: start again
        Files.writeString(out.resolve("last.safetensors"), "");
        assertEquals(List.of("--epochs", "1", "--resume", out.toString()), job.argsFor(1));
        Path from = Path.of("/runs/old");
        var resumed = new ClusterLauncher.TrainJob("m", 2, 3, 600, "xgboost", List.of(), out, from);
        assertEquals(List.of("--resume", from.toString()), resumed.argsFor(0));
        assertEquals(List.of("--resume", out.toString()), resumed.argsFor(2));
    }
}
