package io.laminar.model.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every line of llama.cpp's reference token ids is reproduced, for each of the five vocabularies of
 * its tokenizer tests; and decoding those ids gives the input back wherever llama.cpp's does.
 */
class TokenizerVocabTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2", "phi-3"})
    void reproducesEveryReferenceLine(String name) throws IOException {
        VocabTestCases cases = VocabTestCases.load(name);
        Tokenizer tokenizer = Tokenizers.fromGguf(cases.vocab());
        StringBuilder differences = new StringBuilder();
        int matched = 0;
        for (int i = 0; i < cases.inputs().size(); i++) {
            int[] actual = tokenizer.encode(cases.inputs().get(i), false, false);
            if (Arrays.equals(cases.expected().get(i), actual)) {
                matched++;
            } else {
                differences.append(String.format("%n  line %d %s%n    expected %s%n    actual   %s",
                        i + 1, quote(cases.inputs().get(i)), Arrays.toString(cases.expected().get(i)),
                        Arrays.toString(actual)));
            }
        }
        System.out.printf("%s: %d/%d lines match%n", name, matched, cases.inputs().size());
        assertTrue(differences.isEmpty(), name + ": " + matched + "/" + cases.inputs().size()
                + " lines match; differing:" + differences);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2", "phi-3"})
    void decodingTheReferenceIdsGivesTheInputBack(String name) throws IOException {
        VocabTestCases cases = VocabTestCases.load(name);
        Tokenizer tokenizer = Tokenizers.fromGguf(cases.vocab());
        for (int i = 0; i < cases.inputs().size(); i++) {
            String input = cases.inputs().get(i);
            // Where the vocabulary cleans up spaces, llama.cpp's decode does not give " ?" back either.
            String expected = tokenizer.decodeRules().cleanUpSpaces() ? SpaceCleanup.apply(input) : input;
            assertEquals(expected, tokenizer.decode(cases.expected().get(i)), name + " line " + (i + 1));
            assertEquals(expected, tokenizer.decode(tokenizer.encode(input, false, false)), name + " line " + (i + 1));
        }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp == '\n') {
                b.append("\\n");
            } else if (cp == '\t') {
                b.append("\\t");
            } else if (cp < 0x20) {
                b.append(String.format("\\x%02x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.append('"').toString();
    }
}
