package io.laminar.app;

import java.util.Map;

/** Every live thread's stack, for the message of a test that timed out waiting on another thread. */
final class ThreadDumps {
    private ThreadDumps() {
    }

    static String all() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            out.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
            for (StackTraceElement frame : e.getValue()) {
                out.append("    at ").append(frame).append('\n');
            }
        }
        return out.toString();
    }
}
