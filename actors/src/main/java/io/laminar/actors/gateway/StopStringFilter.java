package io.laminar.actors.gateway;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides how much of each token's text can be sent while watching for stop strings: text that
 * might be the start of a stop string is held back until the next token settles it, a stop string
 * ends generation and is never sent, and neither is anything after it. Every token leaves with
 * exactly its own text (possibly truncated at the stop string), in order and without gaps, so
 * token events stay one per generated token.
 */
final class StopStringFilter {
    /** A token ready to send, with the part of its text that is part of the output. */
    record Released(int index, int tokenId, String text) {
    }

    private record Pending(int index, int tokenId, String text) {
    }

    private final List<String> stops;
    private final List<Pending> pending = new ArrayList<>();
    private boolean stopped;

    StopStringFilter(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Whether a stop string was seen; no more text is released after it. */
    boolean stopped() {
        return stopped;
    }

    /** Takes the next token and returns the tokens whose text is now settled. */
    List<Released> accept(int index, int tokenId, String text) {
        List<Released> out = new ArrayList<>();
        if (stopped) {
            return out;
        }
        pending.add(new Pending(index, tokenId, text));
        if (stops.isEmpty()) {
            return releaseAll(out);
        }
        StringBuilder all = new StringBuilder();
        for (Pending p : pending) {
            all.append(p.text());
        }
        String joined = all.toString();
        int cut = -1;
        for (String s : stops) {
            int at = joined.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            release(out, cut);
            pending.clear();
            return out;
        }
        return release(out, joined.length() - heldBack(joined));
    }

    /** Releases everything still held (the sequence ended for another reason). */
    List<Released> flush() {
        return releaseAll(new ArrayList<>());
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of some stop string. */
    private int heldBack(String text) {
        int best = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, text.length()); len > best; len--) {
                if (text.regionMatches(text.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    /** Releases the pending tokens whose text lies before {@code upTo} (characters of the joined text). */
    private List<Released> release(List<Released> out, int upTo) {
        int start = 0;
        int done = 0;
        for (Pending p : pending) {
            int end = start + p.text().length();
            if (end <= upTo) {
                out.add(new Released(p.index(), p.tokenId(), p.text()));
                done++;
            } else if (stopped && start < upTo) {
                out.add(new Released(p.index(), p.tokenId(), p.text().substring(0, upTo - start)));
                done++;
                break;
            } else {
                break;
            }
            start = end;
        }
        pending.subList(0, done).clear();
        return out;
    }

    private List<Released> releaseAll(List<Released> out) {
        for (Pending p : pending) {
            out.add(new Released(p.index(), p.tokenId(), p.text()));
        }
        pending.clear();
        return out;
    }
}
