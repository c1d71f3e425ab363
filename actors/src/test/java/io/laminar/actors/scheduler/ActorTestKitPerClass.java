package io.laminar.actors.scheduler;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One actor test kit for all the tests of a class: the probes the scheduler's parts talk to. */
abstract class ActorTestKitPerClass {
    static ActorTestKit kit;

    @BeforeAll
    static void startKit() {
        kit = ActorTestKit.create();
    }

    @AfterAll
    static void stopKit() {
        kit.shutdownTestKit();
    }
}
