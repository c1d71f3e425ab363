package io.laminar.actors.gateway;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.tokenizer.StreamingDecoder;
import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.FinishReason;
import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import io.laminar.schemas.codec.RequestDecodeResult;
import io.laminar.schemas.codec.RequestDefaults;
import io.laminar.schemas.codec.ResponseEvents;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;

/**
 * Serves the requests one gateway reads: turns each record into a pipeline request, turns the
 * pipeline's token ids into text (holding back what may start a stop string), writes token, finish
 * and error events keyed by request id, copies bad records to the dead-letter topic, enforces
 * deadlines, and marks a record done (so its offset may be committed) only when its last event is
 * written. Kafka I/O happens elsewhere: records arrive from the {@link RequestPoller}'s thread,
 * writes go through a {@link ResponseWriter} whose acknowledgements come back as messages.
 */
public final class GatewayActor extends AbstractBehavior<GatewayActor.Command> {

    /** Messages the gateway actor receives. */
    public interface Command {
    }

    /** A record read from the requests topic. */
    record RecordRead(RequestPoller.Received record) implements Command {
    }

    /** An event from the pipeline about one of our requests. */
    private record PipelineEvent(SequenceEvent event) implements Command {
    }

    /** A write to Kafka finished ({@code failure} null when acknowledged). */
    record Written(String session, Throwable failure) implements Command {
    }

    private record DeadlinePassed(String session) implements Command {
    }

    /**
     * The requests partitions this gateway owns changed ({@code lost}: taken away while it was out of
     * touch with its group, else {@code partitions} is the whole new assignment). Requests of a
     * partition it does not own go no further here: what it writes for them is refused
     * ({@link PartitionTransactions}), and their next owner, which may be this gateway again, resumes
     * each after what was written.
     */
    record Ownership(Set<TopicPartition> partitions, boolean lost) implements Command {
    }

    /** A request's prompt, encoded on the encoder's thread ({@code failure} null when it was). */
    private record PromptEncoded(String session, RequestPoller.Received record, InferenceRequest request, int[] ids,
                                 Throwable failure) implements Command {
    }

    /** How often a request that a lost stage interrupted is submitted again before it fails. */
    static final int MAX_RETRIES_AFTER_STAGE_LOST = 2;

    private final ActorRef<PipelineScheduler.Command> scheduler;
    private final PromptEncoder prompts;
    private final ResponseWriter writer;
    private final int context;
    private final RecordCompletion completion;
    private final TimerScheduler<Command> timers;
    private final ActorRef<SequenceEvent> events;
    private final OffsetTracker offsets = new OffsetTracker();
    private final Map<String, Session> sessions = new HashMap<>();
    private final RecentRequestIds requestIds;
    private final LaminarMetrics metrics;


    private GatewayActor(ActorContext<Command> context, TimerScheduler<Command> timers,
                         ActorRef<PipelineScheduler.Command> scheduler, PromptEncoder prompts, ResponseWriter writer,
                         int maxContext, DuplicateWindow duplicateWindow, RecordCompletion completion) {
        super(context);
        this.requestIds = new RecentRequestIds(duplicateWindow);
        this.timers = timers;
        this.scheduler = scheduler;
        this.prompts = prompts;
        this.writer = writer;
        this.context = maxContext;
        this.completion = completion;
        this.events = context.messageAdapter(SequenceEvent.class, PipelineEvent::new);
        this.metrics = LaminarMetrics.get(context.getSystem());
    }

    static Behavior<Command> create(ActorRef<PipelineScheduler.Command> scheduler, PromptEncoder prompts,
                                    ResponseWriter writer, int maxContext, DuplicateWindow duplicateWindow,
                                    RecordCompletion completion) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new GatewayActor(ctx, timers, scheduler, prompts, writer, maxContext, duplicateWindow, completion)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RecordRead.class, this::onRecord)
                .onMessage(PipelineEvent.class, this::onPipelineEvent)
                .onMessage(Written.class, this::onWritten)
                .onMessage(DeadlinePassed.class, this::onDeadline)
                .onMessage(PromptEncoded.class, this::onPromptEncoded)
                .onMessage(Ownership.class, this::onOwnership)
                .build();
    }

    // ---- records in -------------------------------------------------------------------------

    private Behavior<Command> onRecord(RecordRead m) {
        RequestPoller.Received r = m.record();
        String id = r.partition().topic() + "/" + r.partition().partition() + "/" + r.offset();
        if (sessions.containsKey(id)) {
            // After a rebalance the consumer resumes from the committed offset, that of the oldest
            // record not finished: records still being served come again, and are left to their session.
            completion.readAgain();
            return this;
        }
        if (r.cancels()) {
            return onCancel(r);
        }
        RecentRequestIds.Source source = new RecentRequestIds.Source(r.partition(), r.offset());
        String requestId = switch (r.decoded()) {
            case RequestDecodeResult.Rejected rej -> rej.requestId();
            case RequestDecodeResult.Accepted acc -> acc.request().getRequestId();
        };
        Optional<RecentRequestIds.Known> earlier = requestId == null
                ? Optional.empty() : requestIds.find(requestId, System.currentTimeMillis());
        offsets.started(r.partition(), r.offset());
        if (earlier.isPresent() && earlier.get().source().equals(source)) {
            // The same record read again after it was served (a rebalance came between its last event
            // and the commit): it is done.
            offsets.finished(r.partition(), r.offset());
            completion.finished(r.partition(), offsets.committable(r.partition()));
            return this;
        }
        Session s = new Session(id, r.partition(), r.offset(), r.receivedAtMs());
        sessions.put(id, s);
        switch (r.decoded()) {
            case RequestDecodeResult.Rejected rej -> {
                s.requestId = rej.requestId(); // a key is not a request id: null when none could be read
                s.recordKey = r.key();
                s.metadata = rej.metadata();
                if (earlier.isPresent()) {
                    refuse(s, r, ErrorCode.DUPLICATE_REQUEST, requestIds.duplicateMessage(s.requestId, earlier.get(),
                            new RecentRequestIds.Source(r.partition(), r.offset()), rej.code() + ": " + rej.message()));
                } else {
                    refuse(s, r, rej.code(), rej.message());
                }
            }
            case RequestDecodeResult.Accepted acc -> {
                if (earlier.isPresent()) {
                    s.requestId = acc.request().getRequestId();
                    s.metadata = acc.request().getMetadata();
                    refuse(s, r, ErrorCode.DUPLICATE_REQUEST, requestIds.duplicateMessage(s.requestId, earlier.get(),
                            new RecentRequestIds.Source(r.partition(), r.offset()), null));
                } else if (r.prior() != null && r.prior().ended()) {
                    answeredEarlier(s, acc.request());
                } else {
                    start(s, r, acc.request());
                }
            }
        }
        return this;
    }

    /**
     * A tombstone keyed by a request id: the request stops (the scheduler frees its sequence) and
     * ends with FINISH {@code CANCELLED} after the tokens already on their way. The record itself
     * is done at once; it answers nothing when no request of that id is being served here, since
     * the request may have finished already or been read by another gateway.
     */
    private Behavior<Command> onCancel(RequestPoller.Received r) {
        offsets.started(r.partition(), r.offset());
        offsets.finished(r.partition(), r.offset());
        completion.finished(r.partition(), offsets.committable(r.partition()));
        String requestId = new String(r.key(), StandardCharsets.UTF_8); // a cancel always has a key
        for (Session s : sessions.values()) {
            if (requestId.equals(s.requestId) && s.holdsId && !s.finalQueued && s.stopReason == null) {
                s.stopReason = FinishReason.CANCELLED;
                timers.cancel(s.id);
                if (s.submitted) { // else its prompt is being encoded: it finishes once it is
                    scheduler.tell(new PipelineScheduler.Cancel(s.id));
                }
                getContext().getLog().debug("{} ({}) cancelled by record {}@{}", s.id, requestId, r.partition(),
                        r.offset());
                return this;
            }
        }
        getContext().getLog().debug("cancel of {} at {}@{}: no such request in flight here", requestId,
                r.partition(), r.offset());
        return this;
    }


    /**
     * A record an earlier gateway answered in full but crashed before committing: its events are
     * all on the responses topic, so nothing is written again.
     */
    private void answeredEarlier(Session s, InferenceRequest req) {
        s.requestId = req.getRequestId();
        getContext().getLog().info("{} ({}) was answered in full by an earlier gateway: not served again", s.id,
                s.requestId);
        sessions.remove(s.id);
        requestIds.started(s.requestId, new RecentRequestIds.Source(s.partition, s.offset));
        requestIds.finished(s.requestId, System.currentTimeMillis());
        offsets.finished(s.partition, s.offset);
        completion.finished(s.partition, offsets.committable(s.partition));
    }

    /**
     * Takes the request's id (a record with the same id read meanwhile is a duplicate) and encodes
     * its prompt off this actor's thread; {@link #onPromptEncoded} goes on.
     */
    private void start(Session s, RequestPoller.Received r, InferenceRequest req) {
        s.requestId = req.getRequestId();
        s.metadata = req.getMetadata();
        requestIds.started(s.requestId, new RecentRequestIds.Source(s.partition, s.offset));
        s.holdsId = true;
        getContext().pipeToSelf(prompts.encodeLater(req), (ids, failure) -> new PromptEncoded(s.id, r, req, ids,
                failure));
    }

    private Behavior<Command> onPromptEncoded(PromptEncoded m) {
        Session s = sessions.get(m.session());
        if (s == null) {
            return this;
        }
        if (s.stopReason != null) { // cancelled while its prompt was encoded
            finish(s, 0, 0);
            return this;
        }
        if (m.failure() != null) {
            Throwable cause = m.failure() instanceof CompletionException && m.failure().getCause() != null
                    ? m.failure().getCause() : m.failure();
            refuseFreeingId(s, m.record(), ErrorCode.INVALID_REQUEST, "the chat template refused the messages: "
                    + cause.getMessage());
        } else if (m.ids().length >= context) {
            refuseFreeingId(s, m.record(), ErrorCode.PROMPT_TOO_LONG, "the prompt has " + m.ids().length
                    + " tokens but the context holds " + context + " (prompt and at least one generated token)");
        } else {
            submit(s, m.record(), m.request(), m.ids());
        }
        return this;
    }

    /** Refuses a request that took its id: a refused request holds none, so its client may send it again. */
    private void refuseFreeingId(Session s, RequestPoller.Received r, ErrorCode code, String message) {
        requestIds.forget(s.requestId);
        s.holdsId = false;
        refuse(s, r, code, message);
    }

    private void submit(Session s, RequestPoller.Received r, InferenceRequest req, int[] ids) {
        s.promptTokens = ids.length;
        s.decoder = StreamingDecoder.continuing(prompts.tokenizer());
        s.filter = new StopStringFilter(req.getStop());
        if (r.prior() != null) {
            s.resumeAfter(r.prior());
            getContext().getLog().info("{} ({}): resuming after token {} that an earlier gateway sent", s.id,
                    s.requestId, r.prior().tokenIds().length - 1);
        }
        long deadline = RequestDefaults.deadlineEpochMs(req, r.receivedAtMs());
        if (deadline != Long.MAX_VALUE) {
            long wait = deadline - System.currentTimeMillis();
            if (wait <= 0) {
                s.stopReason = FinishReason.DEADLINE;
                finish(s, 0, 0);
                return;
            }
            timers.startSingleTimer(s.id, new DeadlinePassed(s.id), Duration.ofMillis(wait));
        }
        SamplingParams sampling = new SamplingParams(RequestDefaults.temperature(req), RequestDefaults.topK(req),
                RequestDefaults.topP(req), RequestDefaults.minP(req), RequestDefaults.repeatPenalty(req),
                RequestDefaults.repeatLastN(req),
                RequestDefaults.seed(req).orElseGet(s::defaultSeed));
        s.submitted = true;
        s.resumedAfter = s.receivedCount;
        s.submit = GatewayInspection.mark(getContext().getSystem(), s, req, new PipelineScheduler.Submit(s.id, ids,
                java.util.Arrays.copyOf(s.received, s.receivedCount), RequestDefaults.maxTokens(req), sampling, events));
        metrics.promptTokens(ids.length);
        scheduler.tell(s.submit);
    }

    /** Answers a record that cannot be served: an error event, and the raw record to the dead-letter topic. */
    private void refuse(Session s, RequestPoller.Received r, ErrorCode code, String message) {
        s.finalQueued = true;
        metrics.requestFailed(code);
        write(s, ResponseEvents.error(s.requestId, s.metadata, code, message, System.currentTimeMillis()));
        s.pendingWrites++;
        writer.deadLetter(r, code, message, s.id, this::acknowledge);
        getContext().getLog().debug("refused {} ({}): {}", s.id, code, message);
    }

    private Behavior<Command> onOwnership(Ownership m) {
        List<Session> gone = sessions.values().stream()
                .filter(s -> m.partitions().contains(s.partition) == m.lost()).toList();
        for (Session s : gone) {
            sessions.remove(s.id);
            offsets.forget(s.partition);
            timers.cancel(s.id);
            if (s.submitted) {
                scheduler.tell(new PipelineScheduler.Cancel(s.id));
            }
            if (s.holdsId) {
                requestIds.forget(s.requestId); // its next owner serves it under its id
            }
            GatewayInspection.finished(s);
            completion.abandoned();
        }
        if (!gone.isEmpty()) {
            getContext().getLog().info("{} requests stopped here: their partitions {}", gone.size(),
                    m.lost() ? "were lost to the group" : "moved to another gateway");
        }
        return this;
    }

    // ---- pipeline events --------------------------------------------------------------------

    private Behavior<Command> onPipelineEvent(PipelineEvent m) {
        Session s = sessions.get(m.event().requestId());
        if (s == null || s.finalQueued) {
            return this;
        }
        switch (m.event()) {
            case SequenceEvent.Token t -> onToken(s, t);
            case SequenceEvent.Finished f -> {
                if (s.filter.stopped()) {
                    s.stopReason = FinishReason.STOP_STRING;
                } else {
                    releaseText(s, s.filter.flush());
                }
                s.endedBy = f.reason();
                finish(s, f.promptNanos(), f.generateNanos());
            }
            case SequenceEvent.Failed f when f.kind() == SequenceEvent.FailureKind.STAGE_LOST
                    && s.retries < MAX_RETRIES_AFTER_STAGE_LOST && s.stopReason == null && !s.filter.stopped() -> {
                // The request ran on a stage that left. It is submitted again with the tokens received
                // so far: the scheduler reads them with the prompt and the sampler starts where it
                // stood (same seed, draws skipped), so the next tokens are those the first run would
                // have given, and the client sees only a pause. The scheduler holds it until the
                // pipeline is whole again, up to its admission timeout.
                s.retries++;
                s.interrupted = true;
                getContext().getLog().info("{} ({}): {}; submitting it again after its {} tokens ({} of {})", s.id,
                        s.requestId, f.message(), s.receivedCount, s.retries, MAX_RETRIES_AFTER_STAGE_LOST);
                s.resumedAfter = s.receivedCount;
                scheduler.tell(s.submit.resumingAfter(java.util.Arrays.copyOf(s.received, s.receivedCount)));
            }
            case SequenceEvent.Failed f when f.kind() == SequenceEvent.FailureKind.PIPELINE_NOT_READY && s.interrupted
                    && s.stopReason == null && !s.filter.stopped() -> {
                // The admission timeout is for new requests, which a client may send elsewhere. One
                // already streaming waits for the pipeline to be whole again (a paused or cut-off
                // stage rejoining, a replacement starting) until its deadline, whose timer cancels it.
                getContext().getLog().info("{} ({}): {}; it waits on", s.id, s.requestId, f.message());
                scheduler.tell(s.submit.resumingAfter(java.util.Arrays.copyOf(s.received, s.receivedCount)));
            }
            case SequenceEvent.Failed f -> {
                s.finalQueued = true;
                s.failed = true;
                timers.cancel(s.id);
                metrics.requestFailed(Session.errorCode(f.kind()));
                write(s, ResponseEvents.error(s.requestId, s.metadata, Session.errorCode(f.kind()), f.message(),
                        System.currentTimeMillis()));
            }
        }
        return this;
    }

    private void onToken(Session s, SequenceEvent.Token t) {
        if (t.index() < s.receivedCount) {
            // An index already received: a resumed run starts after the tokens it carries, so none is
            // expected; a repeat is dropped, and one that differs means the stream cannot go on.
            if (s.received[t.index()] != t.tokenId()) {
                s.finalQueued = true;
                s.failed = true;
                timers.cancel(s.id);
                metrics.requestFailed(ErrorCode.STAGE_FAILED);
                scheduler.tell(new PipelineScheduler.Cancel(s.id));
                write(s, ResponseEvents.error(s.requestId, s.metadata, ErrorCode.STAGE_FAILED,
                        "the request gave token " + t.tokenId() + " at index " + t.index() + " where it had given "
                                + s.received[t.index()] + "; the tokens sent so far stand",
                        System.currentTimeMillis()));
            }
            return;
        }
        if (s.receivedCount == s.received.length) {
            s.received = java.util.Arrays.copyOf(s.received, 2 * s.received.length);
        }
        s.received[s.receivedCount++] = t.tokenId();
        if (s.firstTokenAtMs == 0) {
            s.firstTokenAtMs = System.currentTimeMillis();
        }
        String piece = s.decoder.accept(t.tokenId());
        boolean wasStopped = s.filter.stopped();
        releaseText(s, s.filter.accept(t.index(), t.tokenId(), piece));
        if (!wasStopped && s.filter.stopped()) {
            scheduler.tell(new PipelineScheduler.Cancel(s.id));
        }
    }

    private void releaseText(Session s, List<StopStringFilter.Released> released) {
        long now = System.currentTimeMillis();
        for (StopStringFilter.Released r : released) {
            write(s, ResponseEvents.token(s.requestId, s.metadata, r.index(), r.tokenId(), r.text(), null, now));
            s.tokensSent++;
        }
        metrics.generationTokens(released.size());
    }

    private Behavior<Command> onDeadline(DeadlinePassed m) {
        Session s = sessions.get(m.session());
        if (s != null && !s.finalQueued && s.stopReason == null) {
            s.stopReason = FinishReason.DEADLINE;
            scheduler.tell(new PipelineScheduler.Cancel(s.id));
        }
        return this;
    }

    private void finish(Session s, long promptNanos, long generateNanos) {
        s.finalQueued = true;
        timers.cancel(s.id);
        Session.Finish f = s.finish(promptNanos, generateNanos, System.currentTimeMillis());
        metrics.requestFinished(s.finishReason(), f.ttftS(), f.perTokenS(), f.totalS(), f.queueS());
        write(s, f.event());
    }

    // ---- writes and completion --------------------------------------------------------------

    private void write(Session s, ResponseEvent event) {
        s.pendingWrites++;
        writer.respond(s.partition, s.responseKey(), event, s.source(), s.id, this::acknowledge);
    }

    /** Called on a producer thread: turn the acknowledgement into a message. */
    private void acknowledge(String session, Throwable failure) {
        getContext().getSelf().tell(new Written(session, failure));
    }

    private Behavior<Command> onWritten(Written m) {
        Session s = sessions.get(m.session());
        if (s == null) {
            return this;
        }
        if (m.failure() != null) {
            // The producer gave up after its retries: the record's offset is never committed, so it is
            // served again after a restart (at least once), and the gateway stops committing past it.
            if (m.failure() instanceof ProducerFencedException) {
                // Its partition went to another gateway, which resumes it; said once per partition.
                getContext().getLog().debug("{}: not written, its partition has another owner", s.id);
            } else if (!s.writeFailed) { // once per request: an aborted transaction fails all its events
                getContext().getLog().error("writing an event of {} failed: {}", s.id, m.failure().toString());
            }
            s.writeFailed = true;
        }
        s.pendingWrites--;
        if (s.finalQueued && s.pendingWrites == 0) {
            sessions.remove(s.id);
            GatewayInspection.finished(s);
            if (s.holdsId) {
                if (s.writeFailed || (s.failed && s.tokensSent == 0)) {
                    // Events not all written: the record is served again after a restart. Failed before its
                    // first token: its client may send it again. Either way no stream under the id to protect.
                    requestIds.forget(s.requestId);
                } else {
                    requestIds.finished(s.requestId, System.currentTimeMillis());
                }
            }
            if (s.writeFailed) {
                completion.abandoned();
            } else {
                offsets.finished(s.partition, s.offset);
                completion.finished(s.partition, offsets.committable(s.partition));
            }
        }
        return this;
    }
}
