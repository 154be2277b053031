package dip.test;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every document a source file cites is in the repository: each {@code *.md} name in a .java, .py, .sh or .md file
 * resolves (from the repository root, from the citing file's folder, or as a file of docs/), every markdown link
 * anchor and every {@code model-spec.md §N} names a heading that exists, and the names of documents that lived outside
 * the repository (DIP-SPEC, STYLE.md, HELPERS.md) appear nowhere. The only {@code .md} names allowed without a file
 * are the reports that commands write ({@link #WRITTEN_BY_CODE}).
 */
class DocReferencesTest {
    /** Markdown files that code writes into its output folder, not documents of the repository. */
    static final Set<String> WRITTEN_BY_CODE = Set.of("results.md", "table.md", "OUT/table.md", "report.md",
            "gpu-report/report.md", "out/report.md", "out/engines.md", "engines.md", "missing/engines.md");
    static final Pattern MD = Pattern.compile("[A-Za-z0-9_./-]*[A-Za-z0-9_-]\\.md(#[a-z0-9-]+)?");
    static final Pattern SECTION = Pattern.compile("model-spec\\.md\\)?,? §(\\d+)(?:[–-](\\d+))?");
    static final Pattern OUTSIDE = Pattern.compile("DIP-SPEC|STYLE\\.md|HELPERS\\.md|dip-paper\\.md");

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.isDirectory(p.resolve("docs")) && Files.isRegularFile(p.resolve("pom.xml")))) p = p.getParent();
        if (p == null) throw new IllegalStateException("no repository root (a folder with docs/ and pom.xml) above " + Path.of("").toAbsolutePath());
        return p;
    }

    static List<Path> sources(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                    .filter(f -> {
                        String rel = root.relativize(f).toString();
                        return !rel.startsWith(".") && !rel.contains("/target/") && !rel.startsWith("target/") && !rel.contains("/.");
                    })
                    .filter(f -> f.toString().matches(".*\\.(java|py|sh|md)$"))
                    .filter(f -> !f.getFileName().toString().equals("DocReferencesTest.java"))      // its patterns name them
                    .sorted().toList();
        }
    }

    /** The anchors GitHub makes of the headings of a markdown file: lower case, punctuation dropped, spaces → '-'. */
    static Set<String> anchors(Path md) throws IOException {
        Set<String> a = new HashSet<>();
        for (String line : Files.readAllLines(md)) {
            if (!line.startsWith("#")) continue;
            String h = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
            a.add(h.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
        }
        return a;
    }

    /** The section numbers of model-spec.md ("## 4. Training objective" → 4). */
    static Set<Integer> sections(Path md) throws IOException {
        Set<Integer> s = new HashSet<>();
        for (String line : Files.readAllLines(md)) {
            Matcher m = Pattern.compile("^## (\\d+)\\.").matcher(line);
            if (m.find()) s.add(Integer.parseInt(m.group(1)));
        }
        return s;
    }

    static List<String> check(Path root) throws IOException {
        List<String> bad = new ArrayList<>();
        Path spec = root.resolve("docs/model-spec.md");
        Set<Integer> specSections = Files.isRegularFile(spec) ? sections(spec) : Set.of();
        for (Path f : sources(root)) {
            String rel = root.relativize(f).toString();
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i), at = rel + ":" + (i + 1);
                Matcher o = OUTSIDE.matcher(line);
                if (o.find()) bad.add(at + ": cites " + o.group() + ", a document that is not in the repository");
                Matcher m = MD.matcher(line);
                while (m.find()) {
                    String ref = m.group(), name = ref.contains("#") ? ref.substring(0, ref.indexOf('#')) : ref;
                    if (name.startsWith("/") || name.startsWith("http") || WRITTEN_BY_CODE.contains(name) || OUTSIDE.matcher(name).find()) continue;
                    Path target = resolve(root, f, name);
                    if (target == null) {
                        bad.add(at + ": cites " + name + ", which is not in the repository");
                    } else if (ref.contains("#") && !anchors(target).contains(ref.substring(ref.indexOf('#') + 1))) {
                        bad.add(at + ": cites " + ref + ", but " + root.relativize(target) + " has no such heading");
                    }
                }
                Matcher s = SECTION.matcher(line);
                while (s.find()) {
                    for (int k = 1; k <= 2; k++) {
                        if (s.group(k) != null && !specSections.contains(Integer.parseInt(s.group(k)))) {
                            bad.add(at + ": cites model-spec.md §" + s.group(k) + ", which docs/model-spec.md does not have");
                        }
                    }
                }
            }
        }
        return bad;
    }

    static Path resolve(Path root, Path from, String name) {
        for (Path c : new Path[]{root.resolve(name), from.getParent().resolve(name), root.resolve("docs").resolve(name)}) {
            if (Files.isRegularFile(c)) return c.normalize();
        }
        return null;
    }

    @Test
    void everyCitedDocumentIsInTheRepository() throws IOException {
        Path root = root();
        List<String> bad = check(root);
        if (!bad.isEmpty()) fail(bad.size() + " references to documents that are not in the repository:\n" + String.join("\n", bad));
    }

    @Test
    void theCheckSeesAMissingDocumentAndAMissingSection(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("docs"));
        Files.writeString(tmp.resolve("pom.xml"), "<project/>");
        Files.writeString(tmp.resolve("docs/model-spec.md"), "# Spec\n\n## 1. Backbone\n");
        Files.writeString(tmp.resolve("A.java"), "// see docs/model-spec.md §1 and docs/model-spec.md §4\n// DIP-SPEC §2\n"
                + "// docs/gone.md, [x](docs/model-spec.md#1-backbone), [y](docs/model-spec.md#9-none)\n");
        List<String> bad = check(tmp);
        assertTrue(bad.stream().anyMatch(b -> b.contains("§4")), bad.toString());
        assertTrue(bad.stream().anyMatch(b -> b.contains("DIP-SPEC")), bad.toString());
        assertTrue(bad.stream().anyMatch(b -> b.contains("docs/gone.md")), bad.toString());
        assertTrue(bad.stream().anyMatch(b -> b.contains("#9-none")), bad.toString());
        assertTrue(bad.stream().noneMatch(b -> b.contains("§1,") || b.contains("#1-backbone")), bad.toString());
        assertTrue(bad.size() == 4, bad.toString());
    }
}
