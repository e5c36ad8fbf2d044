package io.pgflash.kafka;

import io.pgflash.core.PgFlashException;

/** Kafka did not acknowledge some records of a batch; the batch is sent again by the bridge's error policy. */
public class KafkaPublishException extends PgFlashException {

    public KafkaPublishException(String message, Throwable cause) {
        super(message, cause);
    }
}
