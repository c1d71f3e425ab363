package io.laminar.actors.scheduler;

import java.util.ArrayList;
import java.util.List;

/** A micro-batch: the sequences that travel together, with at most one step in flight. */
final class Lane {
    final List<Sequence> sequences = new ArrayList<>();
    /** The step in flight, or -1. */
    long inFlight = -1;
    int[] inFlightSlots = new int[0];
}
