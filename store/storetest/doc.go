// Package storetest opens throwaway stores for tests.
package storetest
