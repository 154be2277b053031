package dip.data;

/** Which part of a dataset with a fixed train/test split (Fashion-MNIST, CIFAR-10) to read. */
public enum Split { TRAIN, TEST }
