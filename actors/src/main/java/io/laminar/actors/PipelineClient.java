package io.laminar.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import io.laminar.actors.inspect.AttentionStore;
import io.laminar.actors.inspect.Inspection;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.sampling.SamplingParams;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Submits requests to a model's scheduler, on this node or anywhere in the cluster, and hands each
 * request's events to a {@link SequenceListener} through a small actor of its own.
 */
public final class PipelineClient {
    private static final AtomicLong NEXT = new AtomicLong();

    private final ActorSystem<?> system;
    private final ActorRef<PipelineScheduler.Command> scheduler;

    public PipelineClient(ActorSystem<?> system, ActorRef<PipelineScheduler.Command> scheduler) {
        this.system = system;
        this.scheduler = scheduler;
    }

    /** Finds the scheduler of {@code modelId} through the receptionist, waiting up to {@code timeout}. */
    public static CompletionStage<PipelineClient> find(ActorSystem<?> system, String modelId, Duration timeout) {
        CompletableFuture<PipelineClient> result = new CompletableFuture<>();
        var key = PipelineScheduler.serviceKey(modelId);
        Behavior<Receptionist.Listing> watcher = Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(key, ctx.getSelf()));
            return Behaviors.receiveMessage(listing -> {
                Set<ActorRef<PipelineScheduler.Command>> found = listing.getServiceInstances(key);
                if (result.isDone()) {
                    return Behaviors.stopped();
                }
                if (!found.isEmpty()) {
                    // Where a model has several, the one that serves (the others stand by).
                    result.complete(new PipelineClient(system, PipelineScheduler.serving(system, found)));
                    return Behaviors.stopped();
                }
                return Behaviors.same();
            });
        });
        system.systemActorOf(watcher, "find-scheduler-" + NEXT.incrementAndGet(), Props.empty());
        system.scheduler().scheduleOnce(timeout, () -> result.completeExceptionally(new IllegalStateException(
                "no scheduler for model '" + modelId + "' found in the cluster within " + timeout.toSeconds() + " s")),
                system.executionContext());
        return result;
    }

    public ActorRef<PipelineScheduler.Command> scheduler() {
        return scheduler;
    }

    /** Submits a request; its events go to {@code listener}. */
    public void submit(String requestId, int[] promptIds, int maxTokens, SamplingParams sampling,
                       SequenceListener listener) {
        submit(requestId, promptIds, maxTokens, sampling, listener, false);
    }

    /**
     * Submits a request; its events go to {@code listener}. When {@code inspect}, its stages report
     * its attention weights, kept in this process's {@link AttentionStore} under {@code requestId}
     * (returned); otherwise returns null.
     */
    public Inspection submit(String requestId, int[] promptIds, int maxTokens, SamplingParams sampling,
                             SequenceListener listener, boolean inspect) {
        AttentionStore.Started started = inspect ? AttentionStore.get(system).start(system, requestId,
                promptIds.length) : null;
        ActorRef<SequenceEvent> events = system.systemActorOf(Behaviors.receiveMessage(e -> {
            switch (e) {
                case SequenceEvent.Token t -> {
                    listener.onToken(t.index(), t.tokenId());
                    return Behaviors.same();
                }
                case SequenceEvent.Finished f -> {
                    if (started != null) {
                        started.inspection().finish();
                    }
                    listener.onFinished(f);
                    return Behaviors.stopped();
                }
                case SequenceEvent.Failed f -> {
                    if (started != null) {
                        started.inspection().finish();
                    }
                    listener.onFailed(f);
                    return Behaviors.stopped();
                }
            }
        }), "request-" + NEXT.incrementAndGet(), Props.empty());
        PipelineScheduler.Submit submit = new PipelineScheduler.Submit(requestId, promptIds, maxTokens, sampling, events);
        scheduler.tell(started != null ? submit.inspectedBy(started.collector()) : submit);
        return started != null ? started.inspection() : null;
    }

    public CompletionStage<PipelineScheduler.Status> status() {
        return AskPattern.ask(scheduler, PipelineScheduler.GetStatus::new, Duration.ofSeconds(5), system.scheduler());
    }

    /** Polls the status until the pipeline is ready, or fails after {@code timeout} naming what is missing. */
    public PipelineScheduler.Status awaitReady(Duration timeout) throws InterruptedException {
        return awaitStatus(PipelineScheduler.Status::ready, "ready", timeout);
    }

    /**
     * Polls the status until {@code condition} holds, or fails after {@code timeout} with the last
     * status's detail; {@code what} names the condition in that message.
     */
    public PipelineScheduler.Status awaitStatus(java.util.function.Predicate<PipelineScheduler.Status> condition,
                                                String what, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        PipelineScheduler.Status last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = status().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
                if (condition.test(last)) {
                    return last;
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // Not answering yet; try again.
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("pipeline not " + what + " after " + timeout.toSeconds() + " s: "
                + (last != null ? last.detail() : "the scheduler did not answer"));
    }
}
