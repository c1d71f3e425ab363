package io.laminar.model.exec;

import io.laminar.kernels.GgmlType;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.model.testing.RssProbe;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Running a model maps its weights rather than copying them onto the heap: in a fresh JVM with a
 * small fixed heap, loading and running a ~200 MB model makes resident memory grow by the weights
 * once (file-backed pages for float weights; one rearranged copy, with the file's pages released,
 * for Q8_0), plus the KV cache and buffers, never by the weights twice.
 */
class MappedWeightsMemoryTest {
    static final Path CACHE = Path.of(System.getProperty("java.io.tmpdir"), "laminar-synth-cache");

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0"})
    void residentMemoryGrowsByTheWeightsOnce(GgmlType type) throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs Linux /proc");
        ModelShape shape = ModelShape.STORIES_110M.withLayers(type == GgmlType.F32 ? 4 : 12);
        Path model = new SyntheticModelWriter(shape).weightType(type).writeCached(CACHE);
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xms64m", "-Xmx64m", "-XX:MaxDirectMemorySize=1t", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), RssProbe.class.getName(), model.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        Map<String, Long> v = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] kv = line.trim().split(" ");
            if (kv.length == 2 && kv[0].endsWith("-kib")) {
                v.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        long weights = v.get("weights-kib");
        long anon = v.get("rss-anon-kib");
        long file = v.get("rss-file-kib");
        // KV cache and buffers of this run are a few MiB; the JIT's code and compiler arenas (the
        // quantized kernels are large methods) some tens: measured up to 60 MiB with NMT.
        long slack = 128 * 1024;
        String report = String.format("%s: weights %d MiB, resident growth: anonymous %d MiB, file-backed %d MiB",
                type, weights / 1024, anon / 1024, file / 1024);
        System.out.println(report);
        assertTrue(anon + file <= weights + slack, "weights resident twice? " + report);
        if (type == GgmlType.F32) {
            assertTrue(anon <= slack, "float weights must stay in the mapping, not on the heap: " + report);
            assertTrue(file >= weights * 3 / 4, "the mapped weights are what became resident: " + report);
        } else {
            // One rearranged copy; the file's pages are released except the embedding's, read by row.
            assertTrue(anon <= weights + slack, "one copy of the weights: " + report);
            assertTrue(file <= weights / 3, "repacked weights release their file pages: " + report);
        }
    }
}
