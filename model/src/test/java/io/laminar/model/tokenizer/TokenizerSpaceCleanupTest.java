package io.laminar.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The streaming clean-up equals the whole-text one, whatever the chunking. */
class TokenizerSpaceCleanupTest {

    @Test
    void knownCases() {
        assertEquals("Hello, world!", SpaceCleanup.apply("Hello , world !"));
        assertEquals("a'b", SpaceCleanup.apply("a ' b"));
        assertEquals("he's I'm we're they've", SpaceCleanup.apply("he 's I 'm we 're they 've"));
        assertEquals("I 'll don 't I 'd", SpaceCleanup.apply("I 'll don 't I 'd"));
        assertEquals(" '", SpaceCleanup.apply(" '"), "at the very end nothing follows, so nothing is removed");
        assertEquals("", SpaceCleanup.apply(""));
    }

    @Test
    void streamingMatchesWholeTextOnRandomInput() {
        Random random = new Random(42);
        String alphabet = " '?!.,smrvetdlx";
        for (int trial = 0; trial < 20_000; trial++) {
            StringBuilder text = new StringBuilder();
            int n = random.nextInt(12);
            for (int i = 0; i < n; i++) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            SpaceCleanup.Stream stream = new SpaceCleanup.Stream();
            StringBuilder out = new StringBuilder();
            int pos = 0;
            while (pos < text.length()) {
                int chunk = 1 + random.nextInt(3);
                int end = Math.min(text.length(), pos + chunk);
                stream.accept(text.subSequence(pos, end), out);
                pos = end;
            }
            stream.flush(out);
            assertEquals(SpaceCleanup.apply(text.toString()), out.toString(), "input \"" + text + "\"");
        }
    }
}
