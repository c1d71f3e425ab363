package io.laminar.app.http;

/**
 * What a process says when probed. Answers within a few seconds, never throws: a check that
 * cannot be made fails with why.
 */
public interface HealthSource {
    /** The process can serve at all: a failure means it should be restarted. */
    Health live();

    /** The process should get traffic now. */
    Health ready();
}
