package io.pgflash.kafka;

import io.pgflash.core.TableName;
import java.util.regex.Pattern;

/** Topic names: the default one of a table, and Kafka's rules for any. */
final class KafkaTopics {

    /** What Kafka accepts in a topic name (and at most 249 of them). */
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private KafkaTopics() {
    }

    static String defaultTopic(String prefix, TableName table) {
        return prefix + "." + table.schema() + "." + table.name();
    }

    /** Fails, naming what to set, for a name Kafka would refuse at the first record. */
    static void check(String topic, String what, String fix) {
        if (!LEGAL.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException("Kafka does not allow '" + topic + "' as " + what
                    + ": a topic name has 1 to 249 letters, digits, '.', '_' or '-'; " + fix);
        }
    }
}
