package io.laminar.app.models;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress of one download, written to stderr (stdout carries generated text).
 *
 * <p>On a terminal one line is redrawn in place with {@code \r}, at most every
 * {@value #REDRAW_INTERVAL_MS} ms:
 *
 * <pre>
 *   45.2 MiB / 138.1 MiB  32.7% [#######>               ]  12.3 MiB/s  ETA 0:07
 * </pre>
 *
 * <p>Elsewhere (a log file, a CI job) it writes a plain line at each quarter of the file, or every
 * {@value #PLAIN_INTERVAL_S} s when the size is unknown, and one at the end, so logs stay short.
 *
 * <p>Speed is the average of this download attempt (bytes received since {@link #start} over the
 * time since), so bytes already on disk from an earlier, resumed attempt neither count towards it
 * nor skew the ETA.
 */
final class DownloadProgress {
    /** Shortest time between two redraws on a terminal. */
    static final long REDRAW_INTERVAL_MS = 100;
    /** Time between two plain lines when the total size is unknown. */
    static final long PLAIN_INTERVAL_S = 30;
    /** Characters between the brackets of the bar. */
    private static final int BAR_WIDTH = 24;
    /** Speed and ETA are shown once this much time has passed, so the first packets do not give silly numbers. */
    private static final long WARM_UP_NS = 500_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoClock;

    private long startNs;
    private long startBytes;
    private long total;
    private long done;
    private long lastDrawNs;
    private int lastQuarter;
    private int lastWidth;
    private boolean drawn;

    /**
     * @param out       where to write, normally {@code System.err}
     * @param terminal  whether {@code out} is a terminal (redraw in place) or not (plain lines)
     * @param nanoClock {@link System#nanoTime()}, or a fake one in tests
     */
    DownloadProgress(PrintStream out, boolean terminal, LongSupplier nanoClock) {
        this.out = out;
        this.terminal = terminal;
        this.nanoClock = nanoClock;
    }

    /**
     * Starts counting.
     *
     * @param offset bytes already on disk (a resumed download), 0 for a fresh one
     * @param total  the file's size in bytes, or -1 when unknown
     */
    void start(long offset, long total) {
        this.startNs = nanoClock.getAsLong();
        this.startBytes = offset;
        this.done = offset;
        this.total = total;
        this.lastDrawNs = startNs;
        this.lastQuarter = total > 0 ? quarter(offset, total) : 0;
        if (terminal) {
            draw(startNs);
        }
    }

    /** Counts {@code bytes} more received; redraws or prints a line when it is time. */
    void advance(long bytes) {
        done += bytes;
        long now = nanoClock.getAsLong();
        if (terminal) {
            if (now - lastDrawNs >= REDRAW_INTERVAL_MS * 1_000_000L) {
                draw(now);
            }
        } else if (total > 0) {
            int q = quarter(done, total);
            if (q > lastQuarter && q < 4) {
                lastQuarter = q;
                out.println("  " + line(now));
            }
        } else if (now - lastDrawNs >= PLAIN_INTERVAL_S * 1_000_000_000L) {
            lastDrawNs = now;
            out.println("  " + line(now));
        }
    }

    /** Ends the bar: the final state on a terminal, then a newline; a summary line elsewhere. */
    void finish() {
        long now = nanoClock.getAsLong();
        if (terminal) {
            draw(now);
            out.println();
        } else {
            out.println("  " + line(now));
        }
        out.flush();
    }

    /** Ends the bar after a failure, so the error message starts on its own line. */
    void abandon() {
        if (terminal && drawn) {
            out.println();
            out.flush();
        }
    }

    private void draw(long now) {
        lastDrawNs = now;
        String text = "  " + line(now);
        int pad = Math.max(0, lastWidth - text.length());
        out.print("\r" + text + " ".repeat(pad));
        out.flush();
        lastWidth = text.length();
        drawn = true;
    }

    /** {@code 45.2 MiB / 138.1 MiB  32.7% [###>   ]  12.3 MiB/s  ETA 0:07}, parts left out where unknown. */
    String line(long now) {
        StringBuilder s = new StringBuilder();
        s.append(formatBytes(done));
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            s.append(" / ").append(formatBytes(total))
                    .append(String.format(Locale.ROOT, "  %5.1f%%", fraction * 100));
            if (terminal) {
                s.append(' ').append(bar(fraction));
            }
        }
        long elapsed = now - startNs;
        long received = done - startBytes;
        if (elapsed >= WARM_UP_NS && received > 0) {
            double perSecond = received / (elapsed / 1e9);
            s.append("  ").append(formatBytes((long) perSecond)).append("/s");
            if (total > 0 && done < total) {
                s.append("  ETA ").append(formatDuration((long) Math.ceil((total - done) / perSecond)));
            } else if (total > 0) {
                s.append("  in ").append(formatDuration(Math.round(elapsed / 1e9)));
            }
        }
        return s.toString();
    }

    private static String bar(double fraction) {
        int filled = (int) Math.floor(fraction * BAR_WIDTH);
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < BAR_WIDTH; i++) {
            s.append(i < filled ? '#' : (i == filled ? '>' : ' '));
        }
        return s.append(']').toString();
    }

    private static int quarter(long done, long total) {
        return (int) Math.min(4, done * 4 / total);
    }

    /** Bytes in binary units with one decimal: {@code 512 B}, {@code 1.5 KiB}, {@code 138.1 MiB}, {@code 4.2 GiB}. */
    static String formatBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** {@code 0:07}, {@code 12:30}, {@code 1:02:03}. */
    static String formatDuration(long seconds) {
        long h = seconds / 3600;
        long m = (seconds % 3600) / 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
