package dip.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dip.model.DipConfig;
import dip.model.HeadType;

/**
 * {@link DipConfig} to and from the JSON stored under {@code "dip_config"} in a checkpoint's metadata:
 * {@code {"imageSize":32,"patchSize":8,"channels":1,"hidden":128,"depth":4,"heads":4,"numClasses":10,
 * "headWidth":16,"head":"DIP","adaLnZero":false}}. Reading names the missing or mistyped key; unknown keys are
 * ignored (a newer writer may add some); the values are then checked by DipConfig's own constructor.
 */
public final class DipConfigJson {
    private static final JsonMapper JSON = new JsonMapper();
    private static final String[] INT_KEYS = {"imageSize", "patchSize", "channels", "hidden", "depth", "heads", "numClasses", "headWidth"};

    private DipConfigJson() {}

    public static String toJson(DipConfig c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("imageSize", c.imageSize());
        o.put("patchSize", c.patchSize());
        o.put("channels", c.channels());
        o.put("hidden", c.hidden());
        o.put("depth", c.depth());
        o.put("heads", c.heads());
        o.put("numClasses", c.numClasses());
        o.put("headWidth", c.headWidth());
        o.put("head", c.head().name());
        o.put("adaLnZero", c.adaLnZero());
        return o.toString();
    }

    /** Parses the JSON; throws IllegalArgumentException "dip_config: ..." naming the first bad key. */
    public static DipConfig fromJson(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("dip_config: not valid JSON: " + e.getOriginalMessage().replaceAll("\\s+", " "));
        }
        if (o == null || !o.isObject()) throw new IllegalArgumentException("dip_config: expected a JSON object, got " + json);
        int[] v = new int[INT_KEYS.length];
        for (int i = 0; i < v.length; i++) {
            JsonNode n = required(o, INT_KEYS[i]);
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw new IllegalArgumentException("dip_config: key '" + INT_KEYS[i] + "' must be an integer, got " + n);
            }
            v[i] = n.intValue();
        }
        JsonNode h = required(o, "head");
        HeadType head = null;
        if (h.isTextual()) {
            for (HeadType t : HeadType.values()) if (t.name().equals(h.textValue())) head = t;
        }
        if (head == null) throw new IllegalArgumentException("dip_config: key 'head' must be \"DIP\" or \"DIT_ONLY\", got " + h);
        JsonNode z = required(o, "adaLnZero");
        if (!z.isBoolean()) throw new IllegalArgumentException("dip_config: key 'adaLnZero' must be true or false, got " + z);
        return new DipConfig(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], head, z.booleanValue());
    }

    private static JsonNode required(JsonNode o, String key) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) throw new IllegalArgumentException("dip_config: missing key '" + key + "'");
        return n;
    }
}
