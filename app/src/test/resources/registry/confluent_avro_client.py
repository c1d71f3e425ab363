"""A client of Laminar written with Confluent's own Python library (confluent-kafka's Avro serde
and its schema registry client, on librdkafka and Apache Avro), as a Kafka team would write it.

It registers the request schema from the .avsc file under REQUESTS-value, sends one request in
Confluent's wire format, then reads the responses topic from the beginning and decodes every
event of that request with the writer schema the registry has under each record's id. Prints one
JSON object per event, then exits 0 after a FINISH or ERROR (1 on timeout).

usage: confluent_avro_client.py BOOTSTRAP REGISTRY_URL REQUESTS RESPONSES SCHEMA_FILE REQUEST_ID PROMPT MAX_TOKENS
"""
import json
import sys
import time

from avro.schema import parse
from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.avro.cached_schema_registry_client import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer


def main():
    bootstrap, registry_url, requests, responses, schema_file, request_id, prompt, max_tokens = sys.argv[1:9]
    registry = CachedSchemaRegistryClient({'url': registry_url})
    serde = MessageSerializer(registry)
    with open(schema_file) as f:
        schema = parse(f.read())
    request = {'request_id': request_id, 'prompt': prompt, 'messages': None, 'max_tokens': int(max_tokens),
               'temperature': 0.0, 'top_k': None, 'top_p': None, 'min_p': None, 'repeat_penalty': None,
               'repeat_last_n': None, 'seed': 1, 'stop': [], 'deadline_epoch_ms': None, 'timeout_ms': None,
               'metadata': {'client': 'confluent-kafka-python'}}
    value = serde.encode_record_with_schema(requests, schema, request)
    producer = Producer({'bootstrap.servers': bootstrap})
    producer.produce(requests, key=request_id.encode(), value=value)
    if producer.flush(30) != 0:
        print('request not delivered', file=sys.stderr)
        return 1

    consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'confluent-python-' + request_id,
                         'enable.auto.commit': False})
    metadata = consumer.list_topics(responses, timeout=30)
    consumer.assign([TopicPartition(responses, p, OFFSET_BEGINNING) for p in metadata.topics[responses].partitions])
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            message = consumer.poll(0.2)
            if message is None or message.error() is not None:
                continue
            if message.key() != request_id.encode():
                continue
            event = serde.decode_message(message.value())
            print(json.dumps({'first_byte': message.value()[0],
                              'schema_id': int.from_bytes(message.value()[1:5], 'big'),
                              'event': event}), flush=True)
            if event['type'] in ('FINISH', 'ERROR'):
                return 0
    finally:
        consumer.close()
    print('no FINISH or ERROR for ' + request_id, file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
