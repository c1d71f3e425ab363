package io.laminar.model.tokenizer;

import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The tokenizer of the real stories260K model against llama.cpp's reference run (testdata/README.md). */
class TokenizerStoriesModelTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378};
    private static final int[] GENERATED = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396,
            267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394};
    private static final String TEXT = "Once upon a time, there was a little girl named Lily. She loved to play "
            + "outside in the park. One day, she saw";

    @Test
    void promptAndGeneratedText() throws IOException {
        Tokenizer t = Tokenizers.fromGguf(TestData.stories260K());
        assertArrayEquals(PROMPT, t.encode("Once upon a time", true, false));
        int[] withoutBos = IntStream.concat(Arrays.stream(PROMPT, 1, PROMPT.length), Arrays.stream(GENERATED)).toArray();
        assertEquals(TEXT, t.decode(withoutBos));

        // Streaming the completion after the prompt has been shown gives the rest of the text.
        StreamingDecoder completion = StreamingDecoder.continuing(t);
        StringBuilder streamed = new StringBuilder();
        for (int id : GENERATED) {
            streamed.append(completion.accept(id));
        }
        streamed.append(completion.flush());
        assertEquals(TEXT.substring("Once upon a time".length()), streamed.toString());
    }
}
