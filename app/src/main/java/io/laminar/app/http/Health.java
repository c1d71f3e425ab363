package io.laminar.app.http;

import java.util.List;

/**
 * One answer of a health probe: whether the process passes it, a line for people, and the checks
 * it is made of. {@code /health/live} and {@code /health/ready} send it as JSON, 200 when it passes
 * and 503 when not, as Kubernetes probes expect; {@code laminar status} prints it.
 *
 * @param ok     every check passed
 * @param detail a summary for people
 * @param checks what was looked at, in order
 */
public record Health(boolean ok, String detail, List<Check> checks) {
    public Health {
        checks = List.copyOf(checks);
    }

    /** @param detail what was found, for people */
    public record Check(String name, boolean ok, String detail) {
    }

    /** Passes when every check does; the detail names the first that fails. */
    public static Health of(List<Check> checks) {
        for (Check c : checks) {
            if (!c.ok()) {
                return new Health(false, c.name() + ": " + c.detail(), checks);
            }
        }
        return new Health(true, checks.isEmpty() ? "ok" : "all " + checks.size() + " checks pass", checks);
    }
}
