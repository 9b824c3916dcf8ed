// Package datasets is leadscore's counterpart of scikit-learn's datasets: a
// seeded synthetic CRM generator with ground truth (Generate) and a small
// embedded sample (Sample) that the demo and the tests run on.
//
// The generator streams: it simulates entities block by block, in parallel,
// and hands each block to a Sink (CSVSink, ParquetSink) in entity order, so
// memory holds a few blocks whatever the number of entities, and the output
// is byte-identical for a Config whatever the number of workers.
package datasets
