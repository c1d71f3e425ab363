package io.laminar.actors.gateway;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.schemas.codec.RequestCodec;
import io.laminar.schemas.codec.ResponseCodec;
import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireSchemas;
import io.laminar.schemas.registry.SchemaRegistryClient;
import io.laminar.schemas.kafka.ResponseSerializer;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kafka in and out for one model: a consumer-group member that reads requests, a
 * {@link GatewayActor} that serves them through the scheduler, and an idempotent producer for the
 * responses. Any number of gateways may share the requests topic's partitions.
 *
 * <p>Delivery: a record's offset is committed only after its final event (or error) is
 * acknowledged by Kafka, so a process that dies mid-generation has its unfinished requests served
 * again by whichever gateway gets the partition, which resumes each after the events already on
 * the responses topic ({@link PriorOutput}).
 *
 * <p>Stopping ({@link #close(Duration)}) takes no more requests, lets those running finish within
 * a grace period, then stops writing before it leaves the group: what is unfinished then is handed
 * off, and its next owner, reading back what was written, cannot race a write still on its way.
 */
public final class KafkaGateway implements AutoCloseable {
    private final RequestPoller poller;
    private final ResponseWriter writer;
    private final Thread pollerThread;
    private final ActorRef<GatewayActor.Command> actor;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CompletableFuture<RuntimeException> failure = new CompletableFuture<>();

    /**
     * @param maxContext the longest prompt (in tokens) plus one that the pipeline accepts
     * @param schemaConfig settings of the request decoder and response encoder ({@code laminar.request.*},
     *                     {@code laminar.response.*}, {@code laminar.schema.registry.*})
     * @throws IllegalStateException when a schema registry is configured and cannot be reached, or
     *                               refuses Laminar's schemas
     */
    public KafkaGateway(ActorSystem<?> system, ActorRef<PipelineScheduler.Command> scheduler, PromptEncoder prompts,
                        int maxContext, GatewaySettings settings, Map<String, ?> schemaConfig) {
        SchemasConfig schemas = new SchemasConfig(schemaConfig);
        // One registry client for reading requests, writing responses and reading them back, so
        // each schema is registered and fetched once per process.
        SchemaRegistryClient registry = schemas.schemaRegistry().map(SchemaRegistryClient::new).orElse(null);
        ResponseCodec responseCodec = new ResponseCodec(schemas, WireSchemas.store(WireSchemas.response(),
                WireSchemas.parseFiles(schemas.extraSchemaFiles())), registry);
        ResponseSerializer serializer = new ResponseSerializer(responseCodec, schemas);
        RequestCodec codec = new RequestCodec(schemas, WireSchemas.store(WireSchemas.request(),
                WireSchemas.parseFiles(schemas.extraSchemaFiles())), registry);
        if (registry != null) {
            RegisteredSchemas.prepare(registry, schemas, settings, serializer);
        }
        this.writer = new ResponseWriter(settings, serializer);
        RequestPoller[] pollerRef = new RequestPoller[1];
        RecordCompletion completion = new RecordCompletion() {
            @Override
            public void finished(TopicPartition tp, long committableOffset) {
                inFlight.decrementAndGet();
                pollerRef[0].commitUpTo(tp, committableOffset);
            }

            @Override
            public void abandoned() {
                inFlight.decrementAndGet();
            }

            @Override
            public void readAgain() {
                inFlight.decrementAndGet();
            }
        };
        this.actor = system.systemActorOf(GatewayActor.create(scheduler, prompts, writer, maxContext,
                        settings.duplicateWindow(), completion),
                "kafka-gateway-" + System.identityHashCode(this), Props.empty());
        PriorOutput prior = new PriorOutput(settings, responseCodec);
        RequestPoller.Ownership ownership = new RequestPoller.Ownership() {
            @Override
            public void owned(Collection<TopicPartition> assignment) {
                writer.owned(assignment);
                actor.tell(new GatewayActor.Ownership(Set.copyOf(assignment), false));
            }

            @Override
            public void handingOver(Collection<TopicPartition> partitions) {
                writer.handingOver(partitions);
            }

            @Override
            public void lost(Collection<TopicPartition> partitions) {
                writer.lost(partitions);
                actor.tell(new GatewayActor.Ownership(Set.copyOf(partitions), true));
            }
        };
        this.poller = new RequestPoller(settings, codec, prior, ownership, r -> actor.tell(new GatewayActor.RecordRead(r)),
                inFlight, io.laminar.actors.metrics.LaminarMetrics.get(system), e -> {
                    writer.close(); // before the consumer leaves: whoever takes the partitions reads back what was written
                    failure.complete(e);
                });
        pollerRef[0] = poller;
        this.pollerThread = new Thread(poller, "laminar-request-poller");
        this.pollerThread.setDaemon(true);
        this.pollerThread.start();
    }

    /**
     * Completes with the error that stopped the requests consumer, if one does; never completes
     * after a {@link #close} or while the consumer runs. The gateway writes nothing from then on, and
     * its requests are handed off as at a crash (see {@link RequestPoller}).
     */
    public CompletionStage<RuntimeException> failure() {
        return failure;
    }

    /** Requests read and not yet finished. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Whether the consumer is paused because {@link GatewaySettings#maxInFlight()} requests are in flight. */
    public boolean paused() {
        return poller.paused();
    }

    /** Stops at once: what is running is handed off ({@link #close(Duration)} with no grace). */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /**
     * Stops taking requests, waits up to {@code grace} for those running to finish, then stops
     * writing and leaves the consumer group, committing what finished.
     *
     * @return requests still unfinished at the end of the grace, handed off to the group
     */
    public int close(Duration grace) {
        poller.stopTaking();
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(DRAIN_CHECK_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int handedOff = inFlight.get();
        // Writes first: once the consumer has left, another gateway reads back what was written.
        writer.close();
        poller.stop();
        try {
            pollerThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return handedOff;
    }

    private static final long DRAIN_CHECK_MS = 50;
}
