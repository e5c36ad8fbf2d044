/**
 * The Kafka bridge: publishes a consumer group's changes to Kafka topics, keyed by primary key, and confirms the
 * stream's position only past records the broker acknowledged. Start with {@link io.pgflash.kafka.KafkaBridge}.
 */
@NullMarked
package io.pgflash.kafka;

import org.jspecify.annotations.NullMarked;
