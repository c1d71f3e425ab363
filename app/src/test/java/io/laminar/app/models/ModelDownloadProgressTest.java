package io.laminar.app.models;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DownloadProgress} with a fake clock: the redrawn bar on a terminal, plain lines elsewhere. */
class ModelDownloadProgressTest {
    private static final long MIB = 1 << 20;
    private static final long SECOND = 1_000_000_000L;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private long now = 1_000 * SECOND;

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A fresh download of a {@code totalMiB} file, one MiB every {@code nanosPerMiB}, finished after {@code mibs}. */
    private void downloadMiBs(boolean terminal, long totalMiB, int mibs, long nanosPerMiB) {
        DownloadProgress progress = new DownloadProgress(out, terminal, () -> now);
        progress.start(0, totalMiB * MIB);
        for (int i = 0; i < mibs; i++) {
            now += nanosPerMiB;
            progress.advance(MIB);
        }
        progress.finish();
    }

    @Test
    void aTerminalGetsOneLineRedrawnInPlace() {
        downloadMiBs(true, 100, 50, SECOND / 10);

        String[] frames = text().split("\r", -1);
        assertEquals("", frames[0]);
        assertTrue(frames.length > 40, "frames: " + frames.length);
        assertEquals("  50.0 MiB / 100.0 MiB   50.0% [############>           ]  10.0 MiB/s  ETA 0:05\n",
                frames[frames.length - 1]);
        assertEquals(1, text().chars().filter(c -> c == '\n').count());
    }

    @Test
    void aShorterFrameErasesTheLongerOneBeforeIt() {
        DownloadProgress progress = new DownloadProgress(out, true, () -> now);
        progress.start(0, -1);
        now += 6 * SECOND / 10;
        progress.advance(MIB);
        now += 100_000 * SECOND;
        progress.finish();

        String[] frames = text().split("\r", -1);
        assertEquals("  1.0 MiB  1.7 MiB/s", frames[frames.length - 2]);
        assertEquals("  1.0 MiB  10 B/s   \n", frames[frames.length - 1]);
    }

    @Test
    void elsewhereItWritesALineAtEachQuarterAndAtTheEnd() {
        downloadMiBs(false, 400, 400, SECOND / 100);

        List<String> lines = text().lines().toList();
        assertEquals(List.of(
                "  100.0 MiB / 400.0 MiB   25.0%  100.0 MiB/s  ETA 0:03",
                "  200.0 MiB / 400.0 MiB   50.0%  100.0 MiB/s  ETA 0:02",
                "  300.0 MiB / 400.0 MiB   75.0%  100.0 MiB/s  ETA 0:01",
                "  400.0 MiB / 400.0 MiB  100.0%  100.0 MiB/s  in 0:04"), lines);
    }

    @Test
    void aResumedDownloadCountsOnlyNewBytesForTheSpeed() {
        DownloadProgress progress = new DownloadProgress(out, false, () -> now);
        progress.start(90 * MIB, 100 * MIB);
        now += 2 * SECOND;
        progress.advance(4 * MIB);

        assertEquals("94.0 MiB / 100.0 MiB   94.0%  2.0 MiB/s  ETA 0:03", progress.line(now));
        assertEquals("", text());   // no new quarter was reached
    }

    @Test
    void formatsBytesAndDurations() {
        assertEquals("512 B", DownloadProgress.formatBytes(512));
        assertEquals("1.5 KiB", DownloadProgress.formatBytes(1536));
        assertEquals("138.1 MiB", DownloadProgress.formatBytes(144_810_592));
        assertEquals("4.2 GiB", DownloadProgress.formatBytes(4_509_715_660L));
        assertEquals("0:07", DownloadProgress.formatDuration(7));
        assertEquals("12:30", DownloadProgress.formatDuration(750));
        assertEquals("1:02:03", DownloadProgress.formatDuration(3723));
    }
}
