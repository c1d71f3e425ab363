package io.laminar.app.models;

import io.laminar.app.models.ModelResolveException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link HfReference}: parsing {@code hf:ORG/REPO/FILE.gguf[@REVISION]}, its URL and its cache path. */
class ModelHfReferenceTest {
    private static final URI HUB = URI.create("https://huggingface.co");
    private static final String DEMO = "hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf";

    @Test
    void parsesTheDemoModel() {
        HfReference ref = HfReference.parse(DEMO);

        assertEquals(new HfReference("bartowski", "SmolLM2-135M-Instruct-GGUF", "SmolLM2-135M-Instruct-Q8_0.gguf", "main"), ref);
        assertEquals(URI.create("https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q8_0.gguf"),
                ref.downloadUri(HUB));
        assertEquals(Path.of("/c/bartowski/SmolLM2-135M-Instruct-GGUF/main/SmolLM2-135M-Instruct-Q8_0.gguf"),
                ref.cachePath(Path.of("/c")));
        assertEquals(DEMO, ref.toString());
    }

    @Test
    void aRevisionFollowsTheFileAfterAnAt() {
        HfReference ref = HfReference.parse("hf:org/repo/dir/model.gguf@refs/pr/1");

        assertEquals("dir/model.gguf", ref.file());
        assertEquals("refs/pr/1", ref.revision());
        assertEquals(URI.create("https://huggingface.co/org/repo/resolve/refs%2Fpr%2F1/dir/model.gguf"), ref.downloadUri(HUB));
        assertEquals(Path.of("/c/org/repo/refs%2Fpr%2F1/dir/model.gguf"), ref.cachePath(Path.of("/c")));
        assertEquals("hf:org/repo/dir/model.gguf@refs/pr/1", ref.toString());
    }

    @Test
    void fileNamesAreEncodedInTheUrl() {
        HfReference ref = HfReference.parse("hf:org/repo/my model+x.gguf");

        assertEquals("https://huggingface.co/org/repo/resolve/main/my%20model%2Bx.gguf", ref.downloadUri(HUB).toString());
        assertEquals("http://127.0.0.1:8080/org/repo/resolve/main/my%20model%2Bx.gguf",
                ref.downloadUri(URI.create("http://127.0.0.1:8080/")).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf:org/repo", "hf:org/repo/", "hf:org/repo/model.bin", "hf:../repo/model.gguf",
            "hf:org/../model.gguf", "hf:org/repo/../x.gguf", "hf:org/repo/a//b.gguf", "hf:org/repo/model.gguf@",
            "hf:org/repo/model.gguf@../x", "hf:org/repo/model.gguf@a b", "hf:-org/repo/model.gguf", "hf:org/repo/x%2e.gguf",
            "hf:org/repo/x.gguf?download=1"})
    void rejectsWhatIsNotAReference(String text) {
        ModelResolveException e = assertThrows(ModelResolveException.class, () -> HfReference.parse(text));

        assertEquals(Reason.INVALID_REFERENCE, e.reason());
        assertTrue(e.getMessage().contains("write hf:ORG/REPO/FILE.gguf or hf:ORG/REPO/FILE.gguf@REVISION"), e.getMessage());
    }

    @Test
    void explainsWhatIsWrong() {
        assertEquals("'hf:org/repo' is not a Hugging Face reference: it needs three parts, ORG/REPO/FILE.gguf; "
                        + "write hf:ORG/REPO/FILE.gguf or hf:ORG/REPO/FILE.gguf@REVISION",
                assertThrows(ModelResolveException.class, () -> HfReference.parse("hf:org/repo")).getMessage());
        assertEquals("'hf:org/repo/model.bin' is not a Hugging Face reference: the file 'model.bin' is not a .gguf file; "
                        + "write hf:ORG/REPO/FILE.gguf or hf:ORG/REPO/FILE.gguf@REVISION",
                assertThrows(ModelResolveException.class, () -> HfReference.parse("hf:org/repo/model.bin")).getMessage());
    }

    @Test
    void readsPastedUrls() {
        HfReference expected = HfReference.parse(DEMO);
        assertEquals(Optional.of(expected), HfReference.fromUrl(
                "https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q8_0.gguf?download=true"));
        assertEquals(Optional.of(expected), HfReference.fromUrl(
                "https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/blob/main/SmolLM2-135M-Instruct-Q8_0.gguf"));
        assertEquals(Optional.empty(), HfReference.fromUrl("https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF"));
        assertEquals(Optional.empty(), HfReference.fromUrl("https://example.com/a/b/resolve/main/c.gguf"));
    }

    @Test
    void recognisesAReferenceWithoutItsPrefixButNotAPath() {
        assertEquals(Optional.of(HfReference.parse("hf:org/repo/model.gguf")), HfReference.withoutPrefix("org/repo/model.gguf"));
        assertEquals(Optional.empty(), HfReference.withoutPrefix("/models/org/model.gguf"));
        assertEquals(Optional.empty(), HfReference.withoutPrefix("./org/repo/model.gguf"));
        assertEquals(Optional.empty(), HfReference.withoutPrefix("model.gguf"));
        assertFalse(HfReference.isHfReference("org/repo/model.gguf"));
    }
}
