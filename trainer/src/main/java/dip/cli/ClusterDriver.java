package dip.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The driver side of `dip train --cluster` (and the argument helpers `dip sample --cluster` shares): what runs in
 * the user's JVM before any rank starts. It checks the cluster options, builds the ranks' command line (the user's,
 * without the driver's options, paths made absolute) and hands it to the {@link ClusterLauncher} on the class path
 * (the dip-cluster jar's Spark runner). The ranks themselves run the ordinary commands with a {@code Collective}.
 */
final class ClusterDriver {
    private ClusterDriver() {
    }

    /**
     * The driver of a --cluster run: checks the cluster options, then hands the ranks' arguments (this command line
     * without the driver's options, paths made absolute) to the ClusterLauncher on the class path.
     */
    static int train(TrainCommand c, PrintStream outp) throws IOException {
        if (c.rank != null) throw c.bad("--cluster is for the driver; a rank of a cluster run cannot start another");
        int w = c.workers != null ? c.workers : localWorkers(c.cluster);
        if (w < 1) throw c.bad("--workers must be >= 1, got " + w);
        if (w > 1 && c.cluster.startsWith("local[")) {
            throw c.bad("--cluster " + c.cluster + " runs every rank in this one JVM, but XGBoost's collective is one per"
                    + " process: use local-cluster[" + w + ",1,2048] (" + w + " executor JVMs on this machine) or spark://HOST:PORT");
        }
        if (c.groups != null && (c.groups < w || c.groups % w != 0 || Integer.bitCount(c.groups / w) != 1)) {
            throw c.bad("--groups " + c.groups + " does not suit " + w + " workers: use W times a power of two ("
                    + w + ", " + 2 * w + ", " + 4 * w + ", ...)");
        }
        if (!c.collective.equals("xgboost") && !c.collective.equals("nccl")) {
            throw c.bad("--collective takes xgboost or nccl, got '" + c.collective + "'");
        }
        if (c.maxRestarts < 0) throw c.bad("--max-restarts must be >= 0, got " + c.maxRestarts);
        if (c.collectiveTimeout < 1) throw c.bad("--collective-timeout must be >= 1 second, got " + c.collectiveTimeout);
        ClusterLauncher launcher = ClusterLauncher.find();
        Path resumeFile = c.resume == null ? null : c.resume.toAbsolutePath();
        Path outDir = (c.out != null ? c.out : resumeFile != null
                ? (Files.isDirectory(resumeFile) ? resumeFile : resumeFile.getParent()) : Path.of("runs", "train"))
                .toAbsolutePath();
        List<String> given = c.spec.commandLine().getParseResult().originalArgs();
        if (!given.isEmpty() && given.get(0).equals("train")) given = given.subList(1, given.size());   // `dip train ...`
        List<String> args = withoutOptions(given, TrainCommand.DRIVER_ONLY);
        args.add("--out");
        args.add(outDir.toString());
        for (int i = 0; i + 1 < args.size(); i++) {          // the ranks run elsewhere: no relative paths
            if (args.get(i).equals("--data-dir")) args.set(i + 1, Path.of(args.get(i + 1)).toAbsolutePath().toString());
        }
        outp.printf(Locale.ROOT, "cluster %s: %d worker(s), output %s%n", c.cluster, w, outDir);
        return launcher.train(new ClusterLauncher.TrainJob(c.cluster, w, c.maxRestarts, c.collectiveTimeout, c.collective, args, outDir,
                resumeFile), outp);
    }

    /** W of local[W] or local-cluster[W,cores,MB]; other masters need --workers. */
    static int localWorkers(String master) {
        var m = Pattern.compile("local(?:-cluster)?\\[(\\d+)(?:\\]|,.*\\])").matcher(master);
        if (m.matches()) return Integer.parseInt(m.group(1));
        throw new BadInput("--cluster " + master + " needs --workers W (the number of ranks)");
    }

    /** args without the given options and their values (both "--opt value" and "--opt=value"). */
    static List<String> withoutOptions(List<String> args, String... options) {
        List<String> keep = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            boolean drop = false;
            for (String o : options) {
                if (a.equals(o)) { drop = true; i++; break; }
                if (a.startsWith(o + "=")) { drop = true; break; }
            }
            if (!drop) keep.add(a);
        }
        return keep;
    }
}
