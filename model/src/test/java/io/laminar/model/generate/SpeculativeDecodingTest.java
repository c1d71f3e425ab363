package io.laminar.model.generate;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Speculative decoding with prompt-lookup drafts changes the number of steps, never the output:
 * greedy and seeded runs give the tokens of runs without it.
 */
class SpeculativeDecodingTest {
    /** A prompt that repeats itself, so that n-grams recur from the start. */
    static final int[] REPEATING = {1, 403, 407, 261, 378, 298, 403, 407, 261, 378, 298, 403, 407};

    @Test
    void lookupDraftsWhatFollowedTheLatestEarlierOccurrence() {
        PromptLookup lookup = new PromptLookup(3);
        int[] out = new int[8];
        // [5, 6] recurs: after its earlier occurrence came 7, 8, 5.
        assertEquals(3, lookup.draft(new int[] {5, 6, 7, 8, 5, 6}, 6, 8, out));
        assertArrayEquals(new int[] {7, 8, 5}, java.util.Arrays.copyOf(out, 3));
        // The longest recurring n-gram decides: [9, 5, 6] occurred once, followed by 1 (the later [5, 6] by 2).
        assertEquals(2, lookup.draft(new int[] {9, 5, 6, 1, 4, 5, 6, 2, 9, 5, 6}, 11, 2, out));
        assertArrayEquals(new int[] {1, 4}, java.util.Arrays.copyOf(out, 2));
        // Nothing recurs, or no room: no draft.
        assertEquals(0, lookup.draft(new int[] {1, 2, 3, 4}, 4, 8, out));
        assertEquals(0, lookup.draft(new int[] {5, 6, 7, 5, 6}, 5, 0, out));
        // A continuation that runs into the history's own end: [3, 4] was followed by 3, 4.
        assertEquals(2, lookup.draft(new int[] {3, 4, 3, 4}, 4, 8, out));
        assertArrayEquals(new int[] {3, 4}, java.util.Arrays.copyOf(out, 2));
        // A single recurring token drafts nothing: it predicts too rarely.
        assertEquals(0, lookup.draft(new int[] {3, 4, 3}, 3, 8, out));
        assertThrows(IllegalArgumentException.class, () -> new PromptLookup(0));
    }

    @Test
    void speculativeRunsEqualPlainOnesGreedyAndSeeded() throws IOException {
        SamplingParams seeded = new SamplingParams(0.9f, 40, 0.95f, 0.05f, 1.1f, 64, 1234);
        List<GenerationRequest> requests = List.of(
                new GenerationRequest(REPEATING, 48, SamplingParams.greedy(), TokenListener.NONE),
                new GenerationRequest(GeneratorTest.PROMPT, 40, SamplingParams.greedy(), TokenListener.NONE),
                new GenerationRequest(REPEATING, 40, seeded, TokenListener.NONE));
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ModelConfig c = ModelConfig.fromGguf(f);
            List<int[]> plain = new ArrayList<>();
            try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 1), 1, 16, 3, 128)) {
                for (GenerationResult r : new Generator(p, t -> t == 2, 3).generateAll(requests)) {
                    plain.add(r.tokens());
                }
            }
            // A batch of 8 for three sequences: drafts get what the decode entries leave, prompts are chunked.
            for (int maxDraft : new int[] {1, 4}) {
                try (LocalPipeline p = new LocalPipeline(f, c, LayerRange.split(c.layers(), 2), 1, 8, 3, 128)) {
                    Generator speculative = new Generator(p, t -> t == 2, 3, new PromptLookup(maxDraft));
                    List<GenerationResult> results = speculative.generateAll(requests);
                    for (int i = 0; i < requests.size(); i++) {
                        assertArrayEquals(plain.get(i), results.get(i).tokens(), "request " + i + ", drafts of " + maxDraft);
                        assertEquals(requests.get(i).maxTokens(), results.get(i).tokens().length);
                    }
                    assertTrue(speculative.draftsTaken() > 0 && speculative.draftsTaken() <= speculative.drafted(),
                            speculative.draftsTaken() + " of " + speculative.drafted() + " drafts kept");
                }
            }
        }
    }
}
