package io.laminar.actors;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.generate.GenerationRequest;
import io.laminar.model.generate.Generator;
import io.laminar.model.generate.TokenListener;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.sampling.SamplingParams;

import java.io.IOException;
import java.nio.file.Path;

/** Test helper: each prompt's greedy tokens from a single process without actors, the reference. */
public final class SoloRuns {
    private SoloRuns() {
    }

    public static int[][] greedy(Path model, int[][] prompts, int[] lengths, int context) throws IOException {
        try (GgufFile f = GgufFile.open(model)) {
            ModelConfig c = ModelConfig.fromGguf(f);
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 64, 1, context)) {
                Generator g = new Generator(p, io.laminar.model.tokenizer.Tokenizers.fromGguf(f.metadata())
                        ::isEndOfGeneration, 1);
                int[][] out = new int[prompts.length][];
                for (int i = 0; i < prompts.length; i++) {
                    out[i] = g.generate(new GenerationRequest(prompts[i], lengths[i], SamplingParams.greedy(),
                            TokenListener.NONE)).tokens();
                }
                return out;
            }
        }
    }
}
