package dip.sampler;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An animated GIF written frame by frame with the JDK's own GIF writer (no extra library): each frame's metadata
 * gets a Graphic Control Extension (delay) and the first one the NETSCAPE2.0 application extension that makes
 * viewers loop forever. Frames are streamed to disk, so a long trajectory needs no memory for old frames.
 */
public final class AnimatedGif implements Closeable {
    private static final String FORMAT = "javax_imageio_gif_image_1.0";
    private final javax.imageio.ImageWriter writer;
    private final ImageOutputStream out;
    private boolean first = true;

    public AnimatedGif(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        var writers = ImageIO.getImageWritersByFormatName("gif");
        if (!writers.hasNext()) throw new IOException("no GIF writer in this JVM");
        writer = writers.next();
        Files.deleteIfExists(file);
        out = ImageIO.createImageOutputStream(file.toFile());
        writer.setOutput(out);
        writer.prepareWriteSequence(null);
    }

    /** Appends a frame shown for delayMs milliseconds (GIF resolution: 10 ms). */
    public void add(BufferedImage frame, int delayMs) throws IOException {
        ImageWriteParam param = writer.getDefaultWriteParam();
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), param);
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(FORMAT);
        IIOMetadataNode gce = child(root, "GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(Math.max(1, delayMs / 10)));
        gce.setAttribute("transparentColorIndex", "0");
        if (first) {
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[]{1, 0, 0});        // sub-block 1, loop count 0 (little endian) = forever
            child(root, "ApplicationExtensions").appendChild(app);
            first = false;
        }
        meta.setFromTree(FORMAT, root);
        writer.writeToSequence(new IIOImage(frame, null, meta), param);
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) return (IIOMetadataNode) root.item(i);
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }

    @Override
    public void close() throws IOException {
        try {
            writer.endWriteSequence();
        } finally {
            writer.dispose();
            out.close();
        }
    }
}
