package io.laminar.model.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared test data ({@code ../shared/testdata} beside the checkout). Tests that need a
 * file call {@link #require} and are skipped, with a message naming the file, when it is absent,
 * so a fresh clone elsewhere still builds.
 */
public final class TestData {
    /** System property (set by the build) or environment variable naming the test data folder. */
    public static final String PROPERTY = "laminar.testdata";

    private TestData() {
    }

    public static Path dir() {
        String p = System.getProperty(PROPERTY, System.getenv("LAMINAR_TESTDATA"));
        if (p != null) {
            return Path.of(p);
        }
        // Walk up from the working directory (a module folder under Maven) to find ../shared.
        Path here = Path.of("").toAbsolutePath();
        for (Path d = here; d != null; d = d.getParent()) {
            Path candidate = d.resolveSibling("shared").resolve("testdata");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return here.resolve("../shared/testdata").normalize();
    }

    /** The file {@code relative} under the test data folder, or the calling test is skipped. */
    public static Path require(String relative) {
        Path p = dir().resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p), "test data not found, skipping: " + p);
        return p;
    }

    public static Path stories260K() {
        return require("models/stories260K.gguf");
    }
}
