package io.laminar.app;

import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's demo, on a synthetic model: four streams through an embedded broker. */
class DemoCommandTest {
    @Test
    void demoStreamsFourPromptsThroughTheEmbeddedBroker() {
        String model = TestModels.storiesSized().toString();
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("demo", "-m", model, "-n", "8", "-t", "1");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("kafka bootstrap: 127.0.0.1:"), out);
        assertEquals(4, out.split("\\(LENGTH, 8 tokens", -1).length - 1, out);
        // Token lines of different requests interleave: the streams run at the same time.
        int firstOf4 = out.indexOf("[demo-4] ");
        int lastOf1 = out.lastIndexOf("[demo-1] ", out.lastIndexOf("\n\n[demo-1]"));
        assertTrue(firstOf4 > 0 && firstOf4 < lastOf1, "streams interleave:\n" + out);
    }
}
