package io.laminar.actors.inspect;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Receives the {@link AttentionReport}s of one inspected request from every stage, wherever they
 * run, and merges them into its {@link Inspection}. It stops itself after {@link #IDLE} without a
 * report, which a request's stages never leave between steps while it runs.
 */
public final class AttentionCollector {
    /** How long a collector waits for a report before it stops. */
    public static final Duration IDLE = Duration.ofMinutes(5);
    private static final AtomicLong NEXT = new AtomicLong();

    /** What a collector receives: reports, and its own idle timeout. */
    public sealed interface Command permits AttentionReport, Idle {
    }

    /** No report for {@link #IDLE}. */
    enum Idle implements Command {
        INSTANCE
    }

    private AttentionCollector() {
    }

    public static Behavior<Command> create(Inspection inspection) {
        return Behaviors.setup(ctx -> {
            ctx.setReceiveTimeout(IDLE, Idle.INSTANCE);
            return Behaviors.receiveMessage(message -> switch (message) {
                case AttentionReport report -> {
                    inspection.add(report);
                    yield Behaviors.same();
                }
                case Idle ignored -> Behaviors.stopped();
            });
        });
    }

    /** Starts a collector for {@code inspection} in {@code system}; stages send to the returned ref. */
    public static ActorRef<AttentionReport> spawn(ActorSystem<?> system, Inspection inspection) {
        return system.systemActorOf(create(inspection), "attention-" + NEXT.incrementAndGet(), Props.empty())
                .narrow();
    }
}
