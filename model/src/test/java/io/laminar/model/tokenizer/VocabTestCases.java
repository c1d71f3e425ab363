package io.laminar.model.tokenizer;

import io.laminar.model.testing.TestData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer test data for one vocabulary: the strings of {@code <vocab>.inp}, separated by
 * lines {@code __ggml_vocab_test__}, and the expected ids of {@code <vocab>.out}, one line per string
 * (encoded without BOS and without parsing special tokens), read exactly as test-tokenizer-0 does.
 */
record VocabTestCases(Path vocab, List<String> inputs, List<int[]> expected) {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    static VocabTestCases load(String name) throws IOException {
        Path vocab = TestData.require("vocab/ggml-vocab-" + name + ".gguf");
        String raw = Files.readString(vocab.resolveSibling(vocab.getFileName() + ".inp"), StandardCharsets.UTF_8);
        List<String> inputs = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length()) {
            int next = raw.indexOf(SEPARATOR, pos);
            if (next < 0) {
                inputs.add(raw.substring(pos));
                break;
            }
            inputs.add(raw.substring(pos, next));
            pos = next + SEPARATOR.length();
        }
        List<int[]> expected = new ArrayList<>();
        for (String line : Files.readAllLines(vocab.resolveSibling(vocab.getFileName() + ".out"), StandardCharsets.UTF_8)) {
            String s = line.strip();
            expected.add(s.isEmpty() ? new int[0] : Arrays.stream(s.split(" ")).mapToInt(Integer::parseInt).toArray());
        }
        if (inputs.size() != expected.size()) {
            throw new IllegalStateException(vocab + ": " + inputs.size() + " inputs but " + expected.size() + " expected lines");
        }
        return new VocabTestCases(vocab, inputs, expected);
    }
}
