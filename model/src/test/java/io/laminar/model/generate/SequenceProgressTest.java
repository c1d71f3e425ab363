package io.laminar.model.generate;

import io.laminar.model.exec.TokenBatch;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceProgressTest {
    private static final int EOS = 2;

    /** A resumed sequence reads prompt and earlier tokens as one prompt, then goes on where the earlier run stopped. */
    @Test
    void aResumedSequenceReadsItsEarlierTokensWithThePromptAndCountsThem() {
        SequenceProgress s = new SequenceProgress(new int[] {1, 10, 11}, new int[] {20, 21}, 4, 64);
        s.assignSlot(3);
        assertEquals(2, s.generatedCount());
        assertEquals(5, s.promptRemaining());
        TokenBatch batch = new TokenBatch(8);
        assertFalse(s.addPromptChunk(batch, 3));
        assertTrue(s.addPromptChunk(batch, 8));
        assertEquals(5, batch.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(new int[] {1, 10, 11, 20, 21}[i], batch.token(i));
            assertEquals(i, batch.position(i));
            assertEquals(i == 4, batch.wantsLogits(i));
        }
        assertTrue(s.accept(22, t -> t == EOS));
        assertNull(s.finish());
        batch.clear();
        s.addDecodeEntry(batch);
        assertEquals(22, batch.token(0));
        assertEquals(5, batch.position(0));
        assertTrue(s.accept(23, t -> t == EOS));
        assertEquals(GenerationEnd.LENGTH, s.finish(), "max tokens count from the original start");
        assertArrayEquals(new int[] {20, 21, 22, 23}, s.generated());
        assertArrayEquals(new int[] {1, 10, 11}, s.prompt());
    }

    /** The context limit counts the whole sequence, as in an uninterrupted run. */
    @Test
    void theContextLimitCountsTheTokensGeneratedBefore() {
        int[] prompt = {1, 10, 11};
        int context = 6;
        // Uninterrupted: how many tokens before it ends at the context's end.
        SequenceProgress whole = new SequenceProgress(prompt, 100, context);
        TokenBatch batch = new TokenBatch(8);
        whole.addPromptChunk(batch, 8);
        int n = 0;
        while (!whole.finished()) {
            whole.accept(30 + n, t -> false);
            n++;
            if (!whole.finished()) {
                batch.clear();
                whole.addDecodeEntry(batch);
            }
        }
        assertEquals(GenerationEnd.CONTEXT, whole.finish());
        int[] all = whole.generated();
        for (int k = 1; k < all.length; k++) {
            SequenceProgress resumed = new SequenceProgress(prompt, Arrays.copyOf(all, k), 100, context);
            assertFalse(resumed.finished(), "resumed after " + k);
            batch.clear();
            resumed.addPromptChunk(batch, 8);
            assertEquals(prompt.length + k, batch.size());
            int more = 0;
            while (!resumed.finished()) {
                resumed.accept(all[k + more], t -> false);
                more++;
                if (!resumed.finished()) {
                    batch.clear();
                    resumed.addDecodeEntry(batch);
                }
            }
            assertEquals(GenerationEnd.CONTEXT, resumed.finish());
            assertArrayEquals(all, resumed.generated(), "resumed after " + k);
        }
        SequenceProgress done = new SequenceProgress(prompt, all, 100, context);
        assertEquals(GenerationEnd.CONTEXT, done.finish(), "every token was generated before");
        assertEquals(GenerationEnd.LENGTH, new SequenceProgress(prompt, new int[] {5, 6}, 2, 64).finish());
    }
}
