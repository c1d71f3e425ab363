package io.laminar.app.kafka;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Akka 2.8 and the Kafka 4.3 broker share one scala-library (2.13.18, Kafka's): an actor system
 * and the embedded broker in one JVM, an actor producing to it, as {@code laminar serve} runs them.
 */
@ExtendWith(SharedKafka.class)
class AkkaBesideKafkaTest {

    /** Sends a record and replies with its offset. */
    private record Send(String topic, String value, ActorRef<Long> replyTo) {
    }

    private static Behavior<Send> sender(KafkaProducer<String, String> producer) {
        return Behaviors.receiveMessage(send -> {
            producer.send(new ProducerRecord<>(send.topic(), send.value()),
                    (metadata, error) -> send.replyTo().tell(error == null ? metadata.offset() : -1L));
            return Behaviors.same();
        });
    }

    @Test
    void anActorProducesToTheEmbeddedBroker(EmbeddedKafka kafka) throws Exception {
        KafkaSettings settings = KafkaSettings.defaults().withBootstrapServers(kafka.bootstrapServers());
        String topic = "akka.beside.kafka";
        try (var admin = org.apache.kafka.clients.admin.Admin.create(settings.adminConfig())) {
            TopicSetup.ensure(admin, List.of(new TopicSetup.Topic(topic, 1, (short) -1)), Duration.ofSeconds(20));
        }
        try (var producer = new KafkaProducer<>(settings.producerConfig(), new StringSerializer(), new StringSerializer())) {
            ActorSystem<Send> system = ActorSystem.create(sender(producer), "akka-beside-kafka");
            try {
                for (long expected = 0; expected < 3; expected++) {
                    String value = "token " + expected;
                    long offset = AskPattern.<Send, Long>ask(system, replyTo -> new Send(topic, value, replyTo),
                            Duration.ofSeconds(10), system.scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS);
                    assertEquals(expected, offset);
                }
            } finally {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
