package io.laminar.model.testing;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.generate.GenerationRequest;
import io.laminar.model.generate.Generator;
import io.laminar.model.generate.TokenListener;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.sampling.SamplingParams;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a fresh JVM by the memory test: prints the process's resident memory (anonymous and
 * file-backed, from /proc/self/status) before loading a model and after generating with it, so
 * the test can tell mapped weights from copied ones.
 */
public final class RssProbe {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        long[] before = rss();
        try (GgufFile f = GgufFile.open(model)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 16, 1, 64)) {
                int[] prompt = new int[16];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = 300 + i;
                }
                new Generator(p, t -> false, 1).generate(new GenerationRequest(prompt, 8, SamplingParams.greedy(),
                        TokenListener.NONE));
                System.gc();
                long[] after = rss();
                System.out.println("rss-anon-kib " + (after[0] - before[0]));
                System.out.println("rss-file-kib " + (after[1] - before[1]));
                System.out.println("weights-kib " + Files.size(model) / 1024);
            }
        }
    }

    /** {RssAnon, RssFile} in KiB. */
    static long[] rss() throws Exception {
        long anon = 0;
        long file = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("RssAnon:")) {
                anon = Long.parseLong(line.replaceAll("\\D", ""));
            } else if (line.startsWith("RssFile:")) {
                file = Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return new long[] {anon, file};
    }
}
