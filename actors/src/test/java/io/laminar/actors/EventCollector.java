package io.laminar.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import io.laminar.actors.scheduler.SequenceEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Test helper: an actor that records a request's events and completes when it finishes or fails. */
public final class EventCollector {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    public final ConcurrentLinkedQueue<SequenceEvent> events = new ConcurrentLinkedQueue<>();
    public final CompletableFuture<SequenceEvent> end = new CompletableFuture<>();
    /** Nanos when each token arrived, in order. */
    public final List<Long> tokenTimes = java.util.Collections.synchronizedList(new ArrayList<>());
    public final ActorRef<SequenceEvent> ref;

    public EventCollector(ActorSystem<?> system) {
        ref = system.systemActorOf(Behaviors.receiveMessage(e -> {
            events.add(e);
            if (e instanceof SequenceEvent.Token) {
                tokenTimes.add(System.nanoTime());
            } else {
                end.complete(e);
            }
            return Behaviors.same();
        }), "collector-" + COUNTER.incrementAndGet(), Props.empty());
    }

    public int[] tokens() {
        return events.stream().filter(e -> e instanceof SequenceEvent.Token)
                .mapToInt(e -> ((SequenceEvent.Token) e).tokenId()).toArray();
    }
}
