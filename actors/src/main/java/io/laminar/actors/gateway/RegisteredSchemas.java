package io.laminar.actors.gateway;

import io.laminar.schemas.codec.SchemasConfig;
import io.laminar.schemas.codec.WireSchemas;
import io.laminar.schemas.kafka.ResponseSerializer;
import io.laminar.schemas.registry.SchemaRegistryClient;
import io.laminar.schemas.registry.SchemaRegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a gateway does with a schema registry before it reads a record: registers the request
 * schema under the requests topic's subject (so producers can serialize with it, and the registry
 * checks their versions against it), and registers or looks up the response schema under the
 * responses topic's subject when responses are Avro. A registry that cannot be reached, or that
 * refuses a schema, stops start-up here with a message naming it, rather than failing record by
 * record later.
 */
final class RegisteredSchemas {
    private static final Logger LOG = LoggerFactory.getLogger(RegisteredSchemas.class);

    private RegisteredSchemas() {
    }

    static void prepare(SchemaRegistryClient registry, SchemasConfig schemas, GatewaySettings settings,
                        ResponseSerializer serializer) {
        String requestSubject = SchemaRegistryClient.valueSubject(settings.requestsTopic());
        try {
            int id = schemas.schemaRegistryAutoRegister()
                    ? registry.register(requestSubject, WireSchemas.request())
                    : registry.lookUp(requestSubject, WireSchemas.request());
            LOG.info("schema registry {}: request schema is id {} under {}", registry.describe(), id, requestSubject);
        } catch (SchemaRegistryException e) {
            // Without auto-registration the gateway needs nothing from the request subject: producers
            // register their own versions and records carry their ids.
            if (!(e.notFound() && !schemas.schemaRegistryAutoRegister())) {
                throw failed(registry, e);
            }
            LOG.info("schema registry {}: the request schema is not registered under {} ({}); records are read"
                    + " with whatever schema their ids name", registry.describe(), requestSubject, e.getMessage());
        }
        try {
            int id = serializer.prepare(settings.responsesTopic());
            if (id >= 0) {
                LOG.info("schema registry {}: responses are written in Confluent's wire format, schema id {} under {}",
                        registry.describe(), id, SchemaRegistryClient.valueSubject(settings.responsesTopic()));
            }
        } catch (SchemaRegistryException e) {
            throw failed(registry, e);
        }
    }

    private static IllegalStateException failed(SchemaRegistryClient registry, SchemaRegistryException e) {
        return new IllegalStateException("schema registry " + registry.describe() + ": " + e.getMessage()
                + " (" + SchemasConfig.SCHEMA_REGISTRY_URL_CONFIG + ")", e);
    }
}
