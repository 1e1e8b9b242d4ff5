/* ANSI/NIST-ITL 1-2011 XML encoding (NIEM elements, INT-I substitutions)
 * through libxml2. Parsing: per-call parser context, XML_PARSE_NONET, no
 * entity substitution, no DTD loading, documents with a DOCTYPE refused,
 * errors collected from the context (no global handler is set).
 *
 * Each record element is read into fields through the table below (written
 * by us from the element names of the standard and of INT-I 6.00); the
 * record element itself is also kept, serialised with its namespaces, and
 * written back unchanged while the record is not modified, so that the
 * elements without a traditional field survive XML -> XML. Generated XML
 * follows the schema's element order, which is the table's order. */
#include "internal/nist.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <stdio.h>
#include <string.h>

#define NS_ITL "http://biometrics.nist.gov/standard/2011"
#define NS_BIOM "http://niem.gov/niem/biometrics/1.0"
#define NS_NC "http://niem.gov/niem/niem-core/2.0"
#define NS_INTI "http://interpol.gov/int-i/1.0"
#define MAX_DEPTH 256

/* Value conversions between the two encodings. */
enum { CV_TEXT, CV_DATE, CV_DATETIME, CV_BASE64, CV_BOOL_FMT,
       CV_FGP6, /* Type-4 FGP: six items, 255 unused <-> one element per position */
       CV_YES,  /* EFS presence flags: Y/N (and 1/0) <-> true/false (and 1/0) */
       CV_POLY, /* "x,y-x,y-..." <-> biom:ImageSegmentVertex elements */
       CV_ZERO  /* a filler item that is always "0" and has no element */ };

#define XITEMS 12

typedef struct xitem {
    uint8_t item;     /* 0-based item index in the traditional subfield */
    const char *path; /* below the group element; "" = the group itself; a step
                       * "name#n" is the n-th element of that name */
    uint8_t conv;     /* 0: the entry's */
} xitem;

/* Which subfields an entry writes (a field whose subfields go to different
 * elements has one entry per kind, adjacent, in schema order). */
enum { SEL_ANY, SEL_FIRST, SEL_REST, SEL_FINGER, SEL_PALM, SEL_PLANTAR };
/* XF_REPEAT: one group element per subfield even for a single item path;
 * XF_SAME_GROUPS: subfield n goes into the n-th group element another field
 * made (9.141 ADA's angles inside 9.140 DIN's deltas). */
enum { XF_REPEAT = 1, XF_SAME_GROUPS = 2 };

/* Whether FPP position code c is of the kind of SEL_FINGER/PALM/PLANTAR. */
static bool code_fits(uint8_t sel, uint32_t c)
{
    if (sel == SEL_FINGER)
        return c <= 19 || (c >= 40 && c <= 54);
    if (sel == SEL_PALM)
        return (c >= 20 && c <= 38) || (c >= 81 && c <= 86);
    return sel == SEL_PLANTAR && c >= 60 && c <= 79;
}

typedef struct xentry {
    uint8_t type;
    uint16_t field;
    uint8_t conv;
    const char *group;   /* repeated once per subfield, below the record element */
    xitem items[XITEMS]; /* in schema order */
    uint8_t sel, flags;
} xentry;

#define FII "biom:FingerImpressionImage/"
#define FCD FII "biom:ImageCaptureDetail/"
#define FPI "biom:FingerprintImage/"
#define PPI_ "biom:PalmprintImage/"
#define PCD PPI_ "biom:ImageCaptureDetail/"
#define IRI "biom:IrisImage/"
#define ICD IRI "biom:ImageCaptureDetail/"
#define CBI "biom:CBEFFImage/"
#define CBCD CBI "biom:ImageCaptureDetail/"
#define FACE "biom:FaceImage/"
#define FACECD FACE "biom:ImageCaptureDetail/"
#define IDC(t) { t, 2, CV_TEXT, "biom:ImageReferenceIdentification/nc:IdentificationID", { { 0, "" } } }
#define ONE(t, f, c, g) { t, f, c, g, { { 0, "" } } }
/* 4 SRC and 993 SAN: the capturing organisation below a capture detail CD. */
#define CAPTURE_ORG(t, CD)                                                                 \
    ONE(t, 4, CV_TEXT, CD "biom:CaptureOrganization/nc:OrganizationIdentification/nc:IdentificationID"), \
        ONE(t, 993, CV_TEXT, CD "biom:CaptureOrganization/nc:OrganizationName")
/* A quality triple (value, vendor, product in item order) as biom:ImageQualityType. */
#define QUALITY(t, f, G)                                                                   \
    { t, f, CV_TEXT, G,                                                                   \
      { { 2, "biom:QualityAlgorithmProductIdentification/nc:IdentificationID" },          \
        { 0, "biom:QualityValue" },                                                       \
        { 1, "biom:QualityAlgorithmVendorIdentification/nc:IdentificationID" } } }
/* IDC, the image data (P: the image element), and its depth and capture
 * date (CD: its capture detail), which begin most image records. */
#define IMAGE_DATA(t, P) IDC(t), ONE(t, 999, CV_BASE64, P "nc:BinaryBase64Object")
#define IMAGE_BPX_DATE(t, P, CD)                                                           \
    IMAGE_DATA(t, P), ONE(t, 12, CV_TEXT, P "biom:ImageBitsPerPixelQuantity"),            \
        ONE(t, 5, CV_DATE, CD "biom:CaptureDate/nc:Date")
/* The line length and pixel density of one axis (AX: "Horizontal" or
 * "Vertical") of the image element below P, fields ll and pd. */
#define AXIS(t, ll, pd, P, AX)                                                             \
    ONE(t, ll, CV_TEXT, P "biom:Image" AX "LineLengthPixelQuantity"),                     \
        ONE(t, pd, CV_TEXT, P "biom:Image" AX "PixelDensityValue")
#define ID_OF(e) e "/nc:IdentificationID"
#define HC "biom:ImageLocationHorizontalCoordinateMeasure"
#define VC "biom:ImageLocationVerticalCoordinateMeasure"
#define INC "biom:INCITSMinutiae/"
#define EFS "biom:ExtendedFeatureSetMinutiae/"
#define EXAMINER_GIVEN "biom:MinutiaeExaminer/nc:PersonName/nc:PersonGivenName"
#define EXAMINER_SUR "biom:MinutiaeExaminer/nc:PersonName/nc:PersonSurName"
#define EXAMINER_ORG "biom:MinutiaeExaminerAffiliation/nc:OrganizationName"
#define COMMENT "biom:MinutiaeCommentText"
#define POLYGON "biom:ImageSegmentPolygon"

/* Entries leave out the members they do not use (item conversions, sel,
 * flags: zero). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const xentry table[] = {
    /* Type-1, in biom:TransactionType order (1.002 VER and 1.003 CNT are
     * converted by code). */
    ONE(1, 5, CV_DATE, "biom:Transaction/biom:TransactionDate/nc:Date"),
    ONE(1, 7, CV_TEXT, "biom:Transaction/int-i:TransactionDestinationOrganization/nc:OrganizationIdentification/nc:IdentificationID"),
    ONE(1, 8, CV_TEXT, "biom:Transaction/int-i:TransactionOriginatingOrganization/nc:OrganizationIdentification/nc:IdentificationID"),
    { 1, 17, CV_TEXT, "biom:Transaction",
      { { 0, "int-i:TransactionDestinationOrganization/nc:OrganizationName" },
        { 1, "int-i:TransactionOriginatingOrganization/nc:OrganizationName" },
        { 2, "int-i:TransactionDestinationOrganization/int-i:LocationCountryISO3166Alpha3Code" },
        { 3, "int-i:TransactionOriginatingOrganization/int-i:LocationCountryISO3166Alpha3Code" } } },
    ONE(1, 14, CV_DATETIME, "biom:Transaction/biom:TransactionUTCDate/nc:DateTime"),
    ONE(1, 9, CV_TEXT, "biom:Transaction/biom:TransactionControlIdentification/nc:IdentificationID"),
    ONE(1, 10, CV_TEXT, "biom:Transaction/biom:TransactionControlReferenceIdentification/nc:IdentificationID"),
    { 1, 13, CV_TEXT, "biom:Transaction/biom:TransactionDomain",
      { { 1, "biom:DomainVersionNumberIdentification/nc:IdentificationID" },
        { 0, "biom:TransactionDomainName" } } },
    { 1, 11, CV_TEXT, "biom:Transaction/biom:TransactionImageResolutionDetails",
      { { 0, "biom:NativeScanningResolutionValue" } } },
    { 1, 12, CV_TEXT, "biom:Transaction/biom:TransactionImageResolutionDetails",
      { { 0, "biom:NominalTransmittingResolutionValue" } } },
    { 1, 2, CV_TEXT, "biom:Transaction", { { 0, "biom:TransactionMajorVersionValue" } } },
    ONE(1, 6, CV_TEXT, "biom:Transaction/biom:TransactionPriorityValue"),
    ONE(1, 4, CV_TEXT, "biom:Transaction/int-i:TransactionCategoryCode"),
    { 1, 3, CV_TEXT, "biom:Transaction/biom:TransactionContentSummary", { { 0, "" } } },
    { 1, 15, CV_TEXT, "biom:Transaction/biom:TransactionCharacterSetDirectory",
      { { 1, "biom:CharacterSetCommonNameCode" }, { 0, "biom:CharacterSetIndexCode" },
        { 2, "biom:CharacterSetVersionIdentification/nc:IdentificationID" } } },
    IDC(2),
    /* INT-I's Type-2 (int-i:DomainDefinedDescriptiveDetail), in the
     * schema's order. Items follow the letters of the INT-I field table
     * (A, B, ... as items 1, 2, ...); where the table gives only XML
     * components (names, addresses, dates as date or time) they are items
     * in the table's order: a name is prefix, given, middle, surname,
     * suffix, maiden, extended; an address is its full text, then street
     * number, street, city, county, state, country, postal code. */
#define DDD "itl:UserDefinedDescriptiveDetail/int-i:DomainDefinedDescriptiveDetail/"
#define ADDRESS(P, first)                                                                  \
    { first + 1, P "nc:StructuredAddress/nc:LocationStreet/nc:StreetNumberText" },         \
        { first + 2, P "nc:StructuredAddress/nc:LocationStreet/nc:StreetName" },           \
        { first + 3, P "nc:StructuredAddress/nc:LocationCityName" },                       \
        { first + 4, P "nc:StructuredAddress/nc:LocationCountyName" },                     \
        { first + 5, P "nc:StructuredAddress/nc:LocationStateName" },                      \
        { first + 6, P "nc:StructuredAddress/nc:LocationCountryISO3166Alpha3Code" },       \
        { first + 7, P "nc:StructuredAddress/nc:LocationPostalCode" },                     \
        { first, P "nc:AddressFullText" }
#define PERSON_NAME                                                                        \
    { { 0, "nc:PersonNamePrefixText" }, { 1, "nc:PersonGivenName" }, { 2, "nc:PersonMiddleName" }, \
      { 3, "nc:PersonSurName" }, { 4, "nc:PersonNameSuffixText" }, { 5, "nc:PersonMaidenName" },   \
      { 6, "int-i:PersonExtendedName" } }
#define DATE_OR_TIME { { 0, "nc:Date", CV_DATE }, { 0, "nc:DateTime", CV_DATETIME } }
#define COUNTRY_ID { { 0, "int-i:LocationCountryISO3166Alpha3Code" }, { 1, "nc:IdentificationID" } }
#define MISC DDD "int-i:RecordMetadata/int-i:MiscellaneousIdentification/"
    { 2, 19, CV_TEXT, DDD "int-i:RecordActivity/biom:RecordCreationDate", DATE_OR_TIME },
    { 2, 23, CV_TEXT, DDD "int-i:RecordActivity/int-i:CaptureOrganization",
      { { 0, ID_OF("nc:OrganizationIdentification") }, { 1, "nc:OrganizationName" },
        ADDRESS("nc:LocationAddress/", 2) } },
    { 2, 35, CV_TEXT, DDD "int-i:RecordSubject/nc:PersonBirthDate", DATE_OR_TIME },
    { 2, 37, CV_TEXT, DDD "int-i:RecordSubject/nc:PersonBirthLocation/nc:LocationAddress",
      { ADDRESS("", 0) } },
    ONE(2, 38, CV_TEXT, DDD "int-i:RecordSubject/nc:PersonCitizenshipISO3166Alpha3Code"),
    { 2, 30, CV_TEXT, DDD "int-i:RecordSubject/int-i:PersonName", PERSON_NAME },
    { 2, 34, CV_TEXT, DDD "int-i:RecordSubject/int-i:PersonAliases/int-i:PersonName", PERSON_NAME },
    { 2, 36, CV_TEXT, DDD "int-i:RecordSubject/int-i:PersonBirthDateRange",
      { { 0, "nc:StartDate/nc:Date", CV_DATE }, { 1, "nc:EndDate/nc:Date", CV_DATE } } },
    ONE(2, 39, CV_TEXT, DDD "int-i:RecordSubject/int-i:PersonSexCode"),
    { 2, 75, CV_TEXT, DDD "int-i:RecordSubject/int-i:PersonFather", PERSON_NAME },
    { 2, 76, CV_TEXT, DDD "int-i:RecordSubject/int-i:PersonMother", PERSON_NAME },
    ONE(2, 21, CV_TEXT, DDD "int-i:RecordOffence/int-i:OffenceDescriptionCode"),
    ONE(2, 54, CV_TEXT, DDD "int-i:RecordOffence/int-i:OffenceDescriptionText"),
    { 2, 22, CV_TEXT, DDD "int-i:RecordOffence/int-i:ArrestLocation/nc:LocationAddress",
      { ADDRESS("", 0) } },
    { 2, 55, CV_TEXT, DDD "int-i:RecordOffence/int-i:OffenceDateTime", DATE_OR_TIME },
    { 2, 56, CV_TEXT, DDD "int-i:RecordOffence/int-i:OffenceDateTimeRange",
      { { 0, "nc:StartDate/nc:Date", CV_DATE }, { 0, "nc:StartDate/nc:DateTime", CV_DATETIME },
        { 1, "nc:EndDate/nc:Date", CV_DATE }, { 1, "nc:EndDate/nc:DateTime", CV_DATETIME } } },
    ONE(2, 95, CV_TEXT, DDD "int-i:RecordCivil/int-i:CivilDescriptionCode"),
    ONE(2, 96, CV_TEXT, DDD "int-i:RecordCivil/int-i:CivilDescriptionText"),
    ONE(2, 90, CV_TEXT, MISC "int-i:InterpolReferenceNumber"),
    { 2, 10, CV_TEXT, MISC "int-i:NationalPersonIdentifier", COUNTRY_ID },
    { 2, 91, CV_TEXT, MISC "int-i:NationalPersonInquiryIdentifier", COUNTRY_ID },
    { 2, 7, CV_TEXT, MISC "int-i:NationalCaseIdentifier", COUNTRY_ID },
    ONE(2, 8, CV_TEXT, MISC "int-i:LatentCaseEvidenceIdentifier"),
    ONE(2, 9, CV_TEXT, MISC "int-i:LatentIdentifier"),
    ONE(2, 93, CV_TEXT, MISC "int-i:LatentUniqueIdentifier"),
    { 2, 11, CV_TEXT, MISC "int-i:NationalBusinessReference", COUNTRY_ID },
    { 2, 12, CV_TEXT, MISC "int-i:MiscellaneousIdentificationID1",
      { { 0, "int-i:MiscIDType" }, { 1, "nc:IdentificationID" } } },
    { 2, 13, CV_TEXT, MISC "int-i:MiscellaneousIdentificationID2",
      { { 0, "int-i:MiscIDType" }, { 1, "nc:IdentificationID" } } },
    { 2, 14, CV_TEXT, MISC "int-i:MiscellaneousIdentificationID3",
      { { 0, "int-i:MiscIDType" }, { 1, "nc:IdentificationID" } } },
    { 2, 15, CV_TEXT, MISC "int-i:MiscellaneousIdentificationID4",
      { { 0, "int-i:MiscIDType" }, { 1, "nc:IdentificationID" } } },
    { 2, 16, CV_TEXT, MISC "int-i:MiscellaneousIdentificationID5",
      { { 0, "int-i:MiscIDType" }, { 1, "nc:IdentificationID" } } },
    { 2, 63, CV_TEXT, DDD "int-i:RecordMetadata/int-i:ContactInformation",
      { { 0, "nc:ContactTelephoneNumber/nc:FullTelephoneNumber/nc:TelephoneNumberFullID" },
        { 1, "nc:OrganizationName" }, { 2, "nc:PersonFullName" },
        { 3, "int-i:AdditionalContactInformationText" } } },
    { 2, 92, CV_TEXT, DDD "int-i:RecordMetadata/nc:ExpirationDate", DATE_OR_TIME },
    { 2, 4, CV_TEXT, DDD "int-i:RecordMetadata/int-i:RecordCreationDate", DATE_OR_TIME },
    { 2, 5, CV_TEXT, DDD "int-i:RecordMetadata/int-i:RecordLastUpdateDate", DATE_OR_TIME },
    { 2, 74, CV_TEXT, DDD "int-i:TransactionResponseData/int-i:ErrorMessage",
      { { 0, "int-i:ErrorCode" }, { 1, "int-i:ErrorFieldMnemonicCode" }, { 2, "int-i:ErrorMessageText" } } },
    /* 2.064 RLS, the respondents list of a search result: CSI, MVI, CTQ,
     * CAC, SRC in item order. */
    { 2, 64, CV_TEXT, DDD "int-i:TransactionResponseData/int-i:RespondentsList",
      { { 0, "int-i:TransactionCandidate/int-i:CandidateSequenceID/nc:IdentificationID" },
        { 1, "int-i:TransactionCandidate/int-i:TransactionCandidateManualVerificationIndicator" },
        { 2, "int-i:TransactionCandidatesTotalQuantity" },
        { 3, "int-i:TransactionCategoryCode" },
        { 4, "int-i:TransactionSearchResultsCode" } } },
    { 2, 77, CV_TEXT, DDD "int-i:TransactionResponseData/int-i:LatentMatchingPosition",
      { { 0, "int-i:LatentMatchingPositionSearch" }, { 1, "int-i:LatentMatchingPositionCandidate" } } },
    ONE(2, 94, CV_TEXT, DDD "int-i:TransactionMetadata/int-i:ResultDeterminationMode"),
    /* Type-9: the header; the minutiae blocks stay in the kept XML. */
    IDC(9),
    ONE(9, 3, CV_TEXT, "biom:MinutiaeImpressionCaptureCategoryCode"),
    ONE(9, 4, CV_BOOL_FMT, "biom:MinutiaeFormatNISTStandardIndicator"),
    ONE(9, 901, CV_TEXT, "biom:MinutiaeUniversalLatentWorkstationAnnotationText"),
    /* INCITS 378 (M1) minutiae, 9.126-9.141 (biom:INCITSMinutiae). */
    { 9, 126, CV_TEXT, "biom:INCITSMinutiae",
      { { 0, ID_OF("biom:CBEFFFormatOwnerIdentification") },
        { 1, ID_OF("biom:CBEFFFormatCategoryIdentification") },
        { 2, ID_OF("biom:CBEFFProductIdentification") } } },
    { 9, 127, CV_TEXT, INC "biom:ImageCaptureDetail",
      { { 1, ID_OF("biom:CaptureDeviceIdentification") }, { 0, "biom:CaptureDeviceCertificationCode" } } },
    AXIS(9, 128, 131, INC FII, "Horizontal"),
    ONE(9, 130, CV_TEXT, INC FII "biom:ImageScaleUnitsCode"),
    AXIS(9, 129, 132, INC FII, "Vertical"),
    ONE(9, 134, CV_TEXT, INC FII "biom:FingerPositionCode"),
    ONE(9, 133, CV_TEXT, INC "biom:FingerViewNumeric"),
    QUALITY(9, 135, INC "biom:MinutiaeQuality"),
    ONE(9, 136, CV_TEXT, INC "biom:MinutiaeQuantity"),
    { 9, 137, CV_TEXT, INC "biom:INCITSMinutia",
      { { 0, ID_OF("biom:MinutiaIdentification") },
        { 1, "biom:INCITSMinutiaLocation/biom:PositionHorizontalCoordinateValue" },
        { 2, "biom:INCITSMinutiaLocation/biom:PositionVerticalCoordinateValue" },
        { 3, "biom:INCITSMinutiaLocation/biom:ImageLocationThetaAngleMeasure" },
        { 4, "biom:INCITSMinutiaCategoryCode" }, { 5, "biom:MinutiaQualityValue" } } },
    /* RCI: the first subfield is the method and two fillers, the others
     * one ridge count each. */
    { 9, 138, CV_TEXT, INC "biom:MinutiaeRidgeCountDetail",
      { { 0, "biom:INCITSRidgeCountAlgorithmCode" }, { 1, "", CV_ZERO }, { 2, "", CV_ZERO } },
      SEL_FIRST, 0 },
    { 9, 138, CV_TEXT, INC "biom:MinutiaeRidgeCountDetail/biom:MinutiaeRidgeCountItem",
      { { 0, ID_OF("biom:MinutiaIdentification") }, { 1, ID_OF("biom:MinutiaReferenceIdentification") },
        { 2, "biom:RidgeCountValue" } },
      SEL_REST, 0 },
    { 9, 139, CV_TEXT, INC "biom:FingerprintPatternCoreLocation",
      { { 0, "biom:PositionHorizontalCoordinateValue" }, { 1, "biom:PositionVerticalCoordinateValue" },
        { 2, "biom:ImageLocationThetaAngleMeasure" } } },
    { 9, 140, CV_TEXT, INC "biom:FingerprintPatternDeltaLocation",
      { { 0, "biom:PositionHorizontalCoordinateValue" }, { 1, "biom:PositionVerticalCoordinateValue" },
        { 2, "biom:ImageLocationThetaAngleMeasure" } } },
    /* ADA: the second and third angles of each DIN delta. */
    { 9, 141, CV_TEXT, INC "biom:FingerprintPatternDeltaLocation",
      { { 0, "biom:ImageLocationThetaAngleMeasure#2" }, { 1, "biom:ImageLocationThetaAngleMeasure#3" } },
      SEL_ANY, XF_SAME_GROUPS },
    /* Extended feature set, 9.300-9.373 (biom:ExtendedFeatureSetMinutiae),
     * in the schema's order; X/Y are ImageLocation...CoordinateMeasure. */
    { 9, 303, CV_TEXT, EFS "biom:ExtendedFeatureSetProfileIdentification",
      { { 0, "nc:IdentificationID" } }, SEL_ANY, XF_REPEAT },
    { 9, 300, CV_TEXT, EFS "biom:FrictionRidgeImageRegionOfInterest",
      { { 0, "biom:ImageSegmentWidthMeasure" }, { 1, "biom:ImageSegmentHeightMeasure" },
        { 2, "biom:ImageSegmentHorizontalOffsetMeasure" }, { 3, "biom:ImageSegmentVerticalOffsetMeasure" },
        { 4, POLYGON, CV_POLY } } },
    { 9, 301, CV_TEXT, EFS "biom:FingerprintImageFingerprintOrientation",
      { { 0, "biom:OrientationAngleValue" }, { 1, "biom:OrientationAngleUncertaintyValue" } } },
    { 9, 302, CV_TEXT, EFS "biom:MinutiaeFingerLocation",
      { { 0, "biom:FingerPositionCode" }, { 1, "biom:SegmentLocationCode" },
        { 2, "biom:FingerprintOffCenterCode" }, { 3, POLYGON, CV_POLY } },
      SEL_FINGER, 0 },
    { 9, 302, CV_TEXT, EFS "biom:MinutiaePalmLocation",
      { { 0, "biom:PalmPositionCode" }, { 3, POLYGON, CV_POLY } }, SEL_PALM, 0 },
    { 9, 302, CV_TEXT, EFS "biom:MinutiaePlantarLocation",
      { { 0, "biom:PlantarPositionCode" }, { 3, POLYGON, CV_POLY } }, SEL_PLANTAR, 0 },
    { 9, 307, CV_TEXT, EFS "biom:FingerprintPatternClassification",
      { { 0, "biom:FingerprintPatternGeneralClassCode" }, { 1, "biom:FingerprintPatternSubClassCode" },
        { 2, "biom:FingerprintPatternWhorlDeltaRelationshipCode" } } },
    /* The three maps: format field (size, format), then the rows. */
    { 9, 309, CV_TEXT, EFS "biom:MinutiaeRidgeQualityMap",
      { { 0, "biom:MinutiaeRidgeQualityMapCellSizeValue" }, { 1, "biom:MinutiaeRidgeQualityMapFormatCode" } } },
    ONE(9, 308, CV_TEXT, EFS "biom:MinutiaeRidgeQualityMap/biom:MinutiaeRidgeQualityMapRowText"),
    { 9, 311, CV_TEXT, EFS "biom:MinutiaeRidgeFlowMap",
      { { 0, "biom:MinutiaeRidgeFlowMapSamplingFrequencyValue" }, { 1, "biom:MinutiaeRidgeFlowMapFormatCode" } } },
    ONE(9, 310, CV_TEXT, EFS "biom:MinutiaeRidgeFlowMap/biom:MinutiaeRidgeFlowMapRowText"),
    { 9, 313, CV_TEXT, EFS "biom:MinutiaeRidgeWavelengthMap",
      { { 0, "biom:MinutiaeRidgeWavelengthMapSamplingFrequencyValue" },
        { 1, "biom:MinutiaeRidgeWavelengthMapFormatCode" } } },
    ONE(9, 312, CV_TEXT, EFS "biom:MinutiaeRidgeWavelengthMap/biom:MinutiaeRidgeWavelengthMapRowText"),
    ONE(9, 314, CV_TEXT, EFS "biom:FrictionRidgeImageTonalReversalCode"),
    ONE(9, 315, CV_TEXT, EFS "biom:FrictionRidgeImageLateralReversalCode"),
    QUALITY(9, 316, EFS "biom:ImageQuality"),
    { 9, 317, CV_TEXT, EFS "biom:MinutiaeGrowthOrShrinkage",
      { { 0, "biom:MinutiaeGrowthOrShrinkageCode" }, { 1, COMMENT } } },
    ONE(9, 325, CV_YES, EFS "biom:MinutiaeNoCoresPresentIndicator"),
    { 9, 320, CV_TEXT, EFS "biom:MinutiaeCore",
      { { 0, HC }, { 1, VC }, { 2, "biom:MinutiaeCoreDirectionMeasure" },
        { 3, "biom:ImageLocationUncertaintyRadiusMeasure" },
        { 4, "biom:MinutiaeCoreDirectionUncertaintyValue" } } },
    ONE(9, 326, CV_YES, EFS "biom:MinutiaeNoDeltasPresentIndicator"),
    { 9, 321, CV_TEXT, EFS "biom:MinutiaeDelta",
      { { 0, HC }, { 1, VC }, { 2, "biom:MinutiaeDeltaDirectionUpMeasure" },
        { 3, "biom:MinutiaeDeltaDirectionLeftMeasure" }, { 4, "biom:MinutiaeDeltaDirectionRightMeasure" },
        { 5, "biom:MinutiaeDeltaCategoryCode" }, { 6, "biom:ImageLocationUncertaintyRadiusMeasure" },
        { 7, "biom:MinutiaeDeltaDirectionUpUncertaintyValue" },
        { 8, "biom:MinutiaeDeltaDirectionLeftUncertaintyValue" },
        { 9, "biom:MinutiaeDeltaDirectionRightUncertaintyValue" } } },
    { 9, 322, CV_TEXT, EFS "biom:MinutiaeRidgeCountCoreToDelta",
      { { 0, ID_OF("biom:MinutiaeCoreIdentification") }, { 1, ID_OF("biom:MinutiaeDeltaIdentification") },
        { 2, "biom:RidgeCountMinimumValue" }, { 3, "biom:RidgeCountMaximumValue" } } },
    { 9, 323, CV_TEXT, EFS "biom:FrictionRidgeImageCenter",
      { { 0, "biom:FrictionRidgeImageCenterLocationMethodCode" }, { 1, HC }, { 2, VC },
        { 3, "biom:ImageLocationUncertaintyRadiusMeasure" } } },
    ONE(9, 327, CV_YES, EFS "biom:MinutiaeNoDistinctiveFeaturesPresentIndicator"),
    { 9, 324, CV_TEXT, EFS "biom:MinutiaeDistinctiveFeature",
      { { 0, "biom:MinutiaeDistinctiveFeatureCategoryCode" }, { 1, POLYGON, CV_POLY }, { 2, COMMENT } } },
    ONE(9, 334, CV_YES, EFS "biom:MinutiaeNoMinutiaePresentIndicator"),
    { 9, 331, CV_TEXT, EFS "biom:EFSMinutia",
      { { 0, HC }, { 1, VC }, { 2, "biom:ImageLocationThetaAngleMeasure" },
        { 3, "biom:EFSMinutiaCategoryCode" }, { 4, "biom:ImageLocationUncertaintyRadiusMeasure" },
        { 5, "biom:MinutiaDirectionUncertaintyValue" } } },
    ONE(9, 332, CV_TEXT, EFS "biom:EFSRidgeCountAlgorithmCode"),
    { 9, 333, CV_TEXT, EFS "biom:EFSRidgeCountItem",
      { { 0, ID_OF("biom:MinutiaIdentification") }, { 1, ID_OF("biom:MinutiaReferenceIdentification") },
        { 2, "biom:RidgeCountValue" }, { 3, "biom:MinutiaeRidgeCountOctantNumeric" },
        { 4, "biom:MinutiaeRidgeCountResidualCode" } } },
    { 9, 335, CV_TEXT, EFS "biom:MinutiaeRidgeCountConfidence",
      { { 0, "biom:MinutiaLocationPoint/" HC }, { 1, "biom:MinutiaLocationPoint/" VC },
        { 2, "biom:MinutiaLocationReferencePoint/" HC }, { 3, "biom:MinutiaLocationReferencePoint/" VC },
        { 4, "biom:MinutiaeRidgeCountMethodCode" }, { 5, "biom:MinutiaeRidgeCountConfidenceValue" } } },
    ONE(9, 346, CV_YES, EFS "biom:MinutiaeNoDotsPresentIndicator"),
    { 9, 340, CV_TEXT, EFS "biom:MinutiaeDot", { { 0, HC }, { 1, VC }, { 2, "biom:MinutiaeDotLengthMeasure" } } },
    ONE(9, 347, CV_YES, EFS "biom:MinutiaeNoIncipientRidgesPresentIndicator"),
    { 9, 341, CV_TEXT, EFS "biom:MinutiaeIncipientRidge",
      { { 0, "biom:MinutiaLocationPoint/" HC }, { 1, "biom:MinutiaLocationPoint/" VC },
        { 2, "biom:MinutiaLocationReferencePoint/" HC }, { 3, "biom:MinutiaLocationReferencePoint/" VC } } },
    ONE(9, 348, CV_YES, EFS "biom:MinutiaeNoCreasesPresentIndicator"),
    { 9, 342, CV_TEXT, EFS "biom:MinutiaeFlexionCrease",
      { { 0, "biom:MinutiaLocationPoint/" HC }, { 1, "biom:MinutiaLocationPoint/" VC },
        { 2, "biom:MinutiaLocationReferencePoint/" HC }, { 3, "biom:MinutiaLocationReferencePoint/" VC },
        { 4, "biom:MinutiaeFlexionCreaseCategoryCode" } } },
    ONE(9, 349, CV_YES, EFS "biom:MinutiaeNoRidgeEdgeFeaturesPresentIndicator"),
    { 9, 343, CV_TEXT, EFS "biom:MinutiaeRidgeEdgeOrDiscontinuity",
      { { 0, HC }, { 1, VC }, { 2, "biom:MinutiaeRidgeEdgeOrDiscontinuityCategoryCode" } } },
    ONE(9, 344, CV_YES, EFS "biom:MinutiaeNoPoresPresentIndicator"),
    { 9, 345, CV_TEXT, EFS "biom:MinutiaePore", { { 0, HC }, { 1, VC } } },
    /* MFD, EAA, ECD: the examiner's surname and given name are items in
     * that order, elements the other way round; the time is a GMT stamp
     * (nc:DateTime) or, as some files have it, a date (nc:Date). */
    { 9, 350, CV_TEXT, EFS "biom:MinutiaeFeatureDetection",
      { { 0, "biom:MinutiaeFeatureDetectionFieldListText" }, { 1, "biom:MinutiaeFeatureDetectionMethodCode" },
        { 2, ID_OF("biom:MinutiaeAlgorithmVendorIdentification") },
        { 3, ID_OF("biom:MinutiaeAlgorithmIdentification") }, { 5, EXAMINER_GIVEN }, { 4, EXAMINER_SUR },
        { 6, EXAMINER_ORG }, { 7, "biom:MinutiaeFeatureDetectionDateTime/nc:Date", CV_DATE },
        { 7, "biom:MinutiaeFeatureDetectionDateTime/nc:DateTime", CV_DATETIME }, { 8, COMMENT } } },
    ONE(9, 351, CV_TEXT, EFS COMMENT),
    ONE(9, 352, CV_TEXT, EFS "biom:LatentProcessingCategoryCode"),
    { 9, 353, CV_TEXT, EFS "biom:MinutiaeValueAssessment",
      { { 0, "biom:MinutiaeValueAssessmentResultCode" }, { 2, EXAMINER_GIVEN }, { 1, EXAMINER_SUR },
        { 3, EXAMINER_ORG }, { 4, "biom:MinutiaeValueAssessmentDateTime/nc:Date", CV_DATE },
        { 4, "biom:MinutiaeValueAssessmentDateTime/nc:DateTime", CV_DATETIME },
        { 6, "biom:MinutiaeAnalysisComplexityCode" }, { 5, COMMENT } } },
    { 9, 354, CV_TEXT, EFS "biom:MinutiaeFraudEvidence",
      { { 0, "biom:MinutiaeFraudEvidenceCategoryCode" }, { 1, COMMENT } } },
    { 9, 355, CV_TEXT, EFS "biom:MinutiaeLatentSubstrate",
      { { 0, "biom:MinutiaeLatentSubstrateCategoryCode" }, { 1, "biom:MinutiaeLatentSubstrateDescriptionText" } } },
    { 9, 356, CV_TEXT, EFS "biom:MinutiaeLatentMatrix",
      { { 0, "biom:MinutiaeLatentMatrixCategoryCode" }, { 1, COMMENT } } },
    { 9, 357, CV_TEXT, EFS "biom:MinutiaeLocalQualityIssues",
      { { 0, "biom:MinutiaeLocalQualityIssuesCategoryCode" }, { 1, POLYGON, CV_POLY }, { 2, COMMENT } } },
    { 9, 360, CV_TEXT, EFS "biom:FrictionRidgeImageAreaOfCorrespondence",
      { { 0, ID_OF("biom:ImageReferenceIdentification") }, { 1, POLYGON, CV_POLY }, { 2, COMMENT } } },
    { 9, 361, CV_TEXT, EFS "biom:MinutiaeFeatureCorrespondence",
      { { 0, ID_OF("biom:MinutiaeFeatureIdentification") }, { 1, "biom:MinutiaeFeatureCorrespondenceCategoryCode" },
        { 2, "biom:MinutiaeFeatureCategoryCode" }, { 3, ID_OF("biom:MinutiaeFeatureReferenceIdentification") },
        { 4, HC }, { 5, VC }, { 6, COMMENT } } },
    { 9, 362, CV_TEXT, EFS "biom:MinutiaeExaminerComparisonDetermination",
      { { 0, ID_OF("biom:ImageReferenceIdentification") },
        { 1, "biom:MinutiaeExaminerComparisonDeterminationResultCode" }, { 2, "biom:MinutiaeExaminerProgressCode" },
        { 4, EXAMINER_GIVEN }, { 3, EXAMINER_SUR }, { 5, EXAMINER_ORG },
        { 6, "biom:MinutiaeExaminerComparisonDeterminationDateTime/nc:Date", CV_DATE },
        { 6, "biom:MinutiaeExaminerComparisonDeterminationDateTime/nc:DateTime", CV_DATETIME },
        { 8, "biom:MinutiaeComparisonComplexityCode" }, { 7, COMMENT } } },
    { 9, 363, CV_TEXT, EFS "biom:FrictionRidgeImageRelativeRotation",
      { { 0, ID_OF("biom:ImageReferenceIdentification") }, { 1, "biom:ImageRelativeOverallRotationValue" } } },
    ONE(9, 372, CV_TEXT, EFS "biom:FrictionRidgeSkeletonizedImageBinaryObject"),
    { 9, 373, CV_POLY, EFS "biom:MinutiaeImageRidgePathRepresentation/biom:MinutiaeRidgePathSegment",
      { { 0, "" } } },
    /* Type-10 face (biom:FaceImageType: nc:ImageType, biom:ImageType, face). */
    IMAGE_DATA(10, FACE),
    ONE(10, 5, CV_DATE, FACECD "biom:CaptureDate/nc:Date"),
    CAPTURE_ORG(10, FACECD),
    ONE(10, 12, CV_TEXT, FACE "biom:ImageColorSpaceCode"),
    ONE(10, 11, CV_TEXT, FACE "biom:ImageCompressionAlgorithmText"),
    AXIS(10, 6, 9, FACE, "Horizontal"),
    ONE(10, 8, CV_TEXT, FACE "biom:ImageScaleUnitsCode"),
    ONE(10, 3, CV_TEXT, FACE "biom:ImageCategoryCode"),
    AXIS(10, 7, 10, FACE, "Vertical"),
    ONE(10, 13, CV_TEXT, FACE "biom:FaceImageAcquisitionProfileCode"),
    ONE(10, 20, CV_TEXT, FACE "biom:FaceImageSubjectPoseCode"),
    /* Types 13, 14 and 15: the elements of biom:ImageType in schema order,
     * before (IMAGE_HEAD: data, depth, capture detail) and after (IMAGE_DIMS)
     * the capture detail's record-specific elements (P: the image element,
     * CD: its capture detail). */
#define IMAGE_HEAD(t, P, CD)                                                               \
    IMAGE_BPX_DATE(t, P, CD), ONE(t, 16, CV_TEXT, CD "biom:CaptureHorizontalPixelDensityValue"),                \
        CAPTURE_ORG(t, CD),                                                               \
        ONE(t, 17, CV_TEXT, CD "biom:CaptureVerticalPixelDensityValue")
#define IMAGE_DIMS(t, P)                                                                   \
    ONE(t, 20, CV_TEXT, P "biom:ImageCommentText"),                                       \
        ONE(t, 11, CV_TEXT, P "biom:ImageCompressionAlgorithmText"),                      \
        AXIS(t, 6, 9, P, "Horizontal"),                                                   \
        ONE(t, 8, CV_TEXT, P "biom:ImageScaleUnitsCode"),                                 \
        AXIS(t, 7, 10, P, "Vertical")
/* Types 14 and 15 also give the device's monitoring mode (.030) in between. */
#define IMAGE_HEAD_DIMS_DMM(t, P, CD)                                                      \
    IMAGE_HEAD(t, P, CD), ONE(t, 30, CV_TEXT, CD "biom:CaptureDeviceMonitoringModeCode"),  \
        IMAGE_DIMS(t, P)
    /* Type-13 latent and Type-14 fingerprint images (FingerImpressionImageType). */
    IMAGE_HEAD(13, FII, FCD),
    IMAGE_DIMS(13, FII),
    ONE(13, 3, CV_TEXT, FII "biom:FingerprintImageImpressionCaptureCategoryCode"),
    ONE(13, 13, CV_TEXT, FII "biom:FingerPositionCode"),
    IMAGE_HEAD_DIMS_DMM(14, FII, FCD),
    ONE(14, 3, CV_TEXT, FII "biom:FingerprintImageImpressionCaptureCategoryCode"),
    ONE(14, 901, CV_TEXT, FII "biom:FrictionRidgeCaptureTechnology"),
    ONE(14, 13, CV_TEXT, FII "biom:FingerPositionCode"),
    { 14, 22, CV_TEXT, FII "biom:FingerprintImageNISTQuality",
      { { 0, "biom:FingerPositionCode" }, { 1, "biom:NISTQualityMeasure" } } },
    ONE(14, 31, CV_TEXT, FII "biom:FingerprintImageAcquisitionProfileCode"),
    /* Type-15 palmprint (biom:PalmprintImage); PQM: position, value,
     * vendor, product in item order. */
    IMAGE_HEAD_DIMS_DMM(15, PPI_, PCD),
    ONE(15, 3, CV_TEXT, PPI_ "biom:FrictionRidgeImageImpressionCaptureCategoryCode"),
    ONE(15, 13, CV_TEXT, PPI_ "biom:PalmPositionCode"),
    { 15, 24, CV_TEXT, PPI_ "biom:PalmprintImageQuality",
      { { 0, "biom:PalmPositionCode" },
        { 3, "biom:QualityAlgorithmProductIdentification/nc:IdentificationID" },
        { 2, "biom:QualityAlgorithmVendorIdentification/nc:IdentificationID" },
        { 1, "biom:QualityValue" } } },
    /* Type-4 (binary): biom:FingerprintImage. ISR is the capture resolution
     * code, GCA the compression code; FGP's six bytes are one element per
     * position used (255 = unused, restored on reading). */
    IDC(4),
    ONE(4, 9, CV_BASE64, FPI "nc:BinaryBase64Object"),
    ONE(4, 5, CV_TEXT, FPI "biom:ImageCaptureDetail/biom:CaptureResolutionCode"),
    ONE(4, 8, CV_TEXT, FPI "biom:ImageCompressionAlgorithmCode"),
    ONE(4, 6, CV_TEXT, FPI "biom:ImageHorizontalLineLengthPixelQuantity"),
    ONE(4, 7, CV_TEXT, FPI "biom:ImageVerticalLineLengthPixelQuantity"),
    ONE(4, 4, CV_FGP6, FPI "biom:FingerprintImagePosition/biom:FingerPositionCode"),
    ONE(4, 3, CV_TEXT, FPI "biom:FingerprintImageImpressionCaptureCategoryCode"),
    /* Type-17 iris (biom:IrisImage): MMS make/model/serial and IPC
     * orientation/orientation/scan type are items of one field each. */
    IMAGE_BPX_DATE(17, IRI, ICD),
    ONE(17, 17, CV_TEXT, ICD "biom:CaptureDeviceIdentification/nc:IdentificationID"),
    { 17, 19, CV_TEXT, IRI "biom:ImageCaptureDetail",
      { { 0, "biom:CaptureDeviceMakeText" }, { 1, "biom:CaptureDeviceModelText" },
        { 2, "biom:CaptureDeviceSerialNumberText" } } },
    ONE(17, 22, CV_TEXT, ICD "biom:CaptureHorizontalPixelDensityValue"),
    CAPTURE_ORG(17, ICD),
    ONE(17, 23, CV_TEXT, ICD "biom:CaptureVerticalPixelDensityValue"),
    ONE(17, 30, CV_TEXT, ICD "biom:CaptureDeviceMonitoringModeCode"),
    ONE(17, 13, CV_TEXT, IRI "biom:ImageColorSpaceCode"),
    ONE(17, 21, CV_TEXT, IRI "biom:ImageCommentText"),
    ONE(17, 11, CV_TEXT, IRI "biom:ImageCompressionAlgorithmText"),
    AXIS(17, 6, 9, IRI, "Horizontal"),
    QUALITY(17, 24, IRI "biom:ImageQuality"),
    ONE(17, 8, CV_TEXT, IRI "biom:ImageScaleUnitsCode"),
    AXIS(17, 7, 10, IRI, "Vertical"),
    ONE(17, 3, CV_TEXT, IRI "biom:IrisEyePositionCode"),
    ONE(17, 14, CV_TEXT, IRI "biom:IrisEyeRotationAngleText"),
    ONE(17, 15, CV_TEXT, IRI "biom:IrisEyeRotationUncertaintyValueText"),
    { 17, 16, CV_TEXT, IRI "biom:IrisImageCapture",
      { { 0, "biom:IrisImageHorizontalOrientationCode" }, { 2, "biom:IrisImageScanCategoryCode" },
        { 1, "biom:IrisImageVerticalOrientationCode" } } },
    ONE(17, 20, CV_TEXT, IRI "biom:IrisEyeColorAttributeCode"),
    ONE(17, 25, CV_TEXT, IRI "biom:IrisImageAcquisitionLightingSpectrum/biom:AcquisitionLightingSpectrumCode"),
    ONE(17, 26, CV_TEXT, IRI "biom:IrisDiameterPixelQuantity"),
    /* Type-99 CBEFF (biom:CBEFFImage). BCD is a date (2011) or, in files of
     * the 2007 edition, a GMT time stamp: two entries, the one whose form
     * the value has is written. */
    IMAGE_DATA(99, CBI),
    ONE(99, 5, CV_DATE, CBCD "biom:CaptureDate/nc:Date"),
    ONE(99, 5, CV_DATETIME, CBCD "biom:CaptureDate/nc:DateTime"),
    CAPTURE_ORG(99, CBCD),
    QUALITY(99, 102, CBI "biom:ImageQuality"),
    ONE(99, 103, CV_TEXT, CBI "biom:CBEFFFormatOwnerIdentification/nc:IdentificationID"),
    ONE(99, 104, CV_TEXT, CBI "biom:CBEFFFormatCategoryIdentification/nc:IdentificationID"),
    ONE(99, 100, CV_TEXT, CBI "biom:CBEFFVersionIdentification/nc:IdentificationID"),
    ONE(99, 101, CV_TEXT, CBI "biom:CBEFFCategoryCode"),
    /* Type-98 information assurance: DFO, SRC and SAN, DFT, DCD, ALF (event,
     * reason, information identifier, agent, old value), ARN. The
     * user-defined fields 98.200-98.899 have no element. */
    IDC(98),
    ONE(98, 3, CV_TEXT, "biom:AssuranceFormatOwnerIdentification/nc:IdentificationID"),
    ONE(98, 4, CV_TEXT, "biom:AssuranceOrganization/nc:OrganizationIdentification/nc:IdentificationID"),
    ONE(98, 993, CV_TEXT, "biom:AssuranceOrganization/nc:OrganizationName"),
    ONE(98, 5, CV_TEXT, "biom:AssuranceFormatIdentification/nc:IdentificationID"),
    ONE(98, 6, CV_DATETIME, "biom:AssuranceDateTime/nc:DateTime"),
    { 98, 900, CV_TEXT, "biom:AssuranceLogEntry",
      { { 0, "biom:AssuranceLogEventCode" }, { 1, "biom:AssuranceLogEventReasonText" },
        { 2, "biom:AssuranceLogEventLocationText" }, { 3, "biom:AssuranceLogAgentText" },
        { 4, "biom:AssuranceLogEventOriginalValueText" } } },
    ONE(98, 901, CV_TEXT, "biom:AssuranceAuditRevisionIdentification/nc:IdentificationID"),
    /* Type-20 source representation (not INT-I; in its MPS sample): CAR,
     * AQS (its source type code; the other items have no mapping here),
     * SFT (file type, decoding instructions), COM, SRN, then the image
     * (biom:SourceImage) as the other image records, SRD a date or a GMT
     * stamp. */
    IDC(20),
    ONE(20, 3, CV_TEXT, "biom:SourceRecordCardinalityCode"),
    { 20, 14, CV_TEXT, "biom:SourceAcquisition", { { 0, "biom:AcquisitionSourceCode" } },
      SEL_ANY, XF_REPEAT },
    { 20, 15, CV_TEXT, "biom:SourceFileFormat",
      { { 0, "biom:SourceFileCategoryText" }, { 1, "biom:SourceFileDecodingInstructionsText" } } },
    ONE(20, 20, CV_TEXT, "biom:SourceCommentText"),
    ONE(20, 21, CV_TEXT, ID_OF("biom:SourceIdentification")),
    ONE(20, 999, CV_BASE64, "biom:SourceImage/nc:BinaryBase64Object"),
    ONE(20, 12, CV_TEXT, "biom:SourceImage/biom:ImageBitsPerPixelQuantity"),
    { 20, 5, CV_TEXT, "biom:SourceImage/biom:ImageCaptureDetail/biom:CaptureDate", DATE_OR_TIME },
    CAPTURE_ORG(20, "biom:SourceImage/biom:ImageCaptureDetail/"),
    ONE(20, 13, CV_TEXT, "biom:SourceImage/biom:ImageColorSpaceCode"),
    ONE(20, 11, CV_TEXT, "biom:SourceImage/biom:ImageCompressionAlgorithmText"),
    AXIS(20, 6, 9, "biom:SourceImage/", "Horizontal"),
    ONE(20, 8, CV_TEXT, "biom:SourceImage/biom:ImageScaleUnitsCode"),
    AXIS(20, 7, 10, "biom:SourceImage/", "Vertical"),
};
#pragma GCC diagnostic pop

static const struct { uint32_t type; const char *name; } record_names[] = {
    { 1, "PackageInformationRecord" },
    { 2, "PackageDescriptiveTextRecord" },
    { 4, "PackageHighResolutionGrayscaleImageRecord" },
    { 9, "PackageMinutiaeRecord" },
    { 10, "PackageFacialAndSMTImageRecord" },
    { 13, "PackageLatentImageRecord" },
    { 14, "PackageFingerprintImageRecord" },
    { 15, "PackagePalmprintImageRecord" },
    { 17, "PackageIrisImageRecord" },
    { 20, "PackageSourceRepresentationRecord" }, /* not INT-I; in its MPS sample */
    { 98, "PackageInformationAssuranceRecord" },
    { 99, "PackageCBEFFBiometricDataRecord" },
};

static const char *record_name(uint32_t type)
{
    for (size_t i = 0; i < sizeof record_names / sizeof record_names[0]; i++)
        if (record_names[i].type == type)
            return record_names[i].name;
    return NULL;
}

/* Local names that stand for one another (schema substitution groups). */
static bool name_eq(const char *want, const xmlChar *have)
{
    const char *h = (const char *)have;
    if (!strcmp(want, h))
        return true;
    return !strcmp(want, "FingerImpressionImage") && !strcmp(h, "FingerprintImage");
}

/* One step "prefix:Local[#n]" of a path: the local name (into buf); *nth
 * is n (0 without "#n"). */
static const char *step(const char *path, char *buf, size_t size, const char **prefix_end,
                        unsigned *nth)
{
    const char *slash = strchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : strlen(path);
    const char *colon = memchr(path, ':', n);
    const char *local = colon ? colon + 1 : path;
    size_t ln = n - (size_t)(local - path);
    const char *hash = memchr(local, '#', ln);
    unsigned k = 0;
    if (hash) {
        for (const char *q = hash + 1; q < local + ln; q++)
            k = k * 10 + (unsigned)(*q - '0');
        ln = (size_t)(hash - local);
    }
    if (nth)
        *nth = k;
    if (ln >= size)
        ln = size - 1;
    memcpy(buf, local, ln);
    buf[ln] = 0;
    *prefix_end = slash ? slash + 1 : path + n;
    return buf;
}

static xmlNodePtr child_named(xmlNodePtr parent, const char *local, xmlNodePtr after)
{
    for (xmlNodePtr c = after ? after->next : parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && name_eq(local, c->name))
            return c;
    return NULL;
}

/* The n-th (1-based; 0 = first) child element named local, or NULL. */
static xmlNodePtr child_nth(xmlNodePtr parent, const char *local, unsigned nth)
{
    xmlNodePtr c = child_named(parent, local, NULL);
    for (unsigned k = 1; c && k < nth; k++)
        c = child_named(parent, local, c);
    return c;
}

/* Follow a path below node (first match at every step, or the "#n"-th). */
static xmlNodePtr follow(xmlNodePtr node, const char *path)
{
    while (node && *path) {
        char local[96];
        const char *next;
        unsigned nth;
        step(path, local, sizeof local, &next, &nth);
        node = child_nth(node, local, nth);
        path = next;
    }
    return node;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct xdec {
    hs_ctx *ctx;
    hs_nist *n;
    const hs_allocator *a;
} xdec;

static void mark(xmlNodePtr node)
{
    node->_private = (void *)node;
}

/* Whether an element holds text other than white space (an empty element
 * carries nothing a field would lose). */
static bool has_text(xmlNodePtr node)
{
    xmlChar *t = xmlNodeGetContent(node);
    bool any = false;
    for (const xmlChar *q = t; q && *q && !any; q++)
        any = *q != ' ' && *q != '\n' && *q != '\t' && *q != '\r';
    xmlFree(t);
    return any;
}

static uint32_t count_unmarked(xmlNodePtr node)
{
    uint32_t c = 0;
    bool leaf = true;
    for (xmlNodePtr ch = node->children; ch; ch = ch->next) {
        if (ch->type == XML_ELEMENT_NODE) {
            leaf = false;
            c += count_unmarked(ch);
        }
    }
    if (leaf && node->_private == NULL && has_text(node))
        c++;
    return c;
}

static bool too_deep(xmlNodePtr node, int depth)
{
    if (depth > MAX_DEPTH)
        return true;
    for (xmlNodePtr ch = node->children; ch; ch = ch->next)
        if (ch->type == XML_ELEMENT_NODE && too_deep(ch, depth + 1))
            return true;
    return false;
}

static int b64v(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static bool digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

static long num(const char *p, size_t n)
{
    long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* "Z", "+hh:mm" or "-hh:mm". */
static bool tz_ok(const char *p, size_t n)
{
    if (n == 1)
        return p[0] == 'Z';
    return n == 6 && (p[0] == '+' || p[0] == '-') && digits(p + 1, 2) && p[3] == ':' &&
           digits(p + 4, 2);
}

/* Convert an element's text into traditional bytes (appended to w). */
static bool convert_in(hs__writer *w, const char *text, uint8_t conv)
{
    size_t n = strlen(text);
    /* xsd whitespace collapse for everything but base64 (which skips it). */
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\t' ||
                 text[n - 1] == '\r'))
        n--;
    while (n && (*text == ' ' || *text == '\n' || *text == '\t' || *text == '\r')) {
        text++;
        n--;
    }
    switch (conv) {
    case CV_DATE: /* YYYY-MM-DD[timezone] -> YYYYMMDD */
        if (n >= 10 && digits(text, 4) && text[4] == '-' && digits(text + 5, 2) &&
            text[7] == '-' && digits(text + 8, 2) && (n == 10 || tz_ok(text + 10, n - 10))) {
            hs__wr_bytes(w, text, 4);
            hs__wr_bytes(w, text + 5, 2);
            hs__wr_bytes(w, text + 8, 2);
            return true;
        }
        return false;
    case CV_DATETIME: { /* YYYY-MM-DDThh:mm:ss[.f][timezone] -> UTC YYYYMMDDhhmmssZ */
        if (n < 19 || !digits(text, 4) || text[4] != '-' || !digits(text + 5, 2) ||
            text[7] != '-' || !digits(text + 8, 2) || text[10] != 'T' || !digits(text + 11, 2) ||
            text[13] != ':' || !digits(text + 14, 2) || text[16] != ':' || !digits(text + 17, 2))
            return false;
        size_t k = 19;
        if (k < n && text[k] == '.') {
            k++;
            while (k < n && text[k] >= '0' && text[k] <= '9')
                k++;
        }
        if (k < n && !tz_ok(text + k, n - k))
            return false;
        long off = 0;
        if (k < n && text[k] != 'Z')
            off = (text[k] == '-' ? -1 : 1) * (num(text + k + 1, 2) * 60 + num(text + k + 4, 2));
        int64_t days = hs__nist_days(num(text, 4), num(text + 5, 2), num(text + 8, 2));
        int64_t t = days * 86400 + num(text + 11, 2) * 3600 + num(text + 14, 2) * 60 +
                    num(text + 17, 2) - off * 60;
        char buf[16];
        if (!hs__nist_gmt(t, buf))
            return false;
        hs__wr_bytes(w, buf, 15);
        return true;
    }
    case CV_YES: /* true/false <-> Y/N; 1/0 stay 1/0 */
        if (n == 4 && !memcmp(text, "true", 4))
            text = "Y", n = 1;
        else if (n == 5 && !memcmp(text, "false", 5))
            text = "N", n = 1;
        else if (!(n == 1 && (text[0] == '1' || text[0] == '0')))
            return false;
        break;
    case CV_BOOL_FMT:
        if (n == 4 && !memcmp(text, "true", 4)) {
            hs__wr_u8(w, 'S');
            return true;
        }
        if (n == 5 && !memcmp(text, "false", 5)) {
            hs__wr_u8(w, 'U');
            return true;
        }
        return false;
    case CV_BASE64: {
        uint32_t acc = 0;
        int bits = 0, pad = 0;
        for (size_t i = 0; i < n; i++) {
            int c = (unsigned char)text[i];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
                continue;
            if (c == '=') {
                pad++;
                continue;
            }
            int v = b64v(c);
            if (v < 0 || pad)
                return false;
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                hs__wr_u8(w, (uint8_t)(acc >> bits));
            }
        }
        return pad <= 2;
    }
    default:
        break;
    }
    hs__wr_bytes(w, text, n);
    return true;
}

/* A polygon or path: the biom:ImageSegmentVertex children of node as
 * "x,y-x,y-..." (marked). */
static bool read_vertices_xy(hs__writer *w, xmlNodePtr node)
{
    uint32_t k = 0;
    for (xmlNodePtr v = child_named(node, "ImageSegmentVertex", NULL); v;
         v = child_named(node, "ImageSegmentVertex", v), k++) {
        xmlNodePtr x = follow(v, HC), y = follow(v, VC);
        if (!x || !y)
            return false;
        if (k)
            hs__wr_u8(w, '-');
        xmlChar *a = xmlNodeGetContent(x), *b = xmlNodeGetContent(y);
        bool ok = a && b && convert_in(w, (const char *)a, CV_TEXT);
        hs__wr_u8(w, ',');
        ok = ok && convert_in(w, (const char *)b, CV_TEXT);
        xmlFree(a);
        xmlFree(b);
        if (!ok)
            return false;
        mark(x);
        mark(y);
    }
    return k > 0;
}

static bool xml_value_ok(const uint8_t *p, size_t n, uint8_t conv);

static hs_status read_entry(xdec *d, hs__nist_record *r, xmlNodePtr rec, const xentry *e,
                            hs__writer *w, bool *found)
{
    /* Walk the group path to its parent, then every sibling with the
     * group's last name is one subfield. */
    const char *g = e->group;
    xmlNodePtr parent = rec;
    char local[96];
    const char *next;
    for (;;) {
        step(g, local, sizeof local, &next, NULL);
        if (!*next)
            break;
        parent = child_named(parent, local, NULL);
        if (!parent)
            return HS_OK;
        g = next;
    }
    uint32_t sub = 0;
    for (xmlNodePtr grp = child_named(parent, local, NULL); grp;
         grp = child_named(parent, local, grp)) {
        /* Items in traditional order. */
        int nitems = 0;
        for (int k = 0; k < XITEMS && e->items[k].path; k++)
            if (e->items[k].item + 1 > nitems)
                nitems = e->items[k].item + 1;
        bool any = false;
        size_t start = w->len, last_end = w->len;
        if (sub || *found)
            hs__wr_u8(w, e->conv == CV_FGP6 ? HS__NIST_US : HS__NIST_RS);
        size_t first = w->len; /* item 0 */
        for (int it = 0; it < nitems; it++) {
            if (it)
                hs__wr_u8(w, HS__NIST_US);
            size_t item_start = w->len;
            for (int k = 0; k < XITEMS && e->items[k].path; k++) {
                if (e->items[k].item != it)
                    continue;
                uint8_t conv = e->items[k].conv ? e->items[k].conv : e->conv;
                if (conv == CV_ZERO) {
                    hs__wr_u8(w, '0');
                    last_end = w->len;
                    continue;
                }
                if (w->len > item_start)
                    break; /* another form of the item was there first */
                xmlNodePtr leaf = e->items[k].path[0] ? follow(grp, e->items[k].path) : grp;
                if (!leaf)
                    continue;
                bool ok;
                if (conv == CV_POLY) {
                    ok = read_vertices_xy(w, leaf);
                } else {
                    xmlChar *text = xmlNodeGetContent(leaf);
                    if (!text)
                        return hs__error(d->ctx, HS_ERR_NOMEM, "XML: out of memory");
                    ok = convert_in(w, (const char *)text, conv);
                    xmlFree(text);
                }
                /* Whatever is read can be written back the same. */
                if (!ok || (w->len > item_start &&
                            !xml_value_ok(w->buf + item_start, w->len - item_start, conv)))
                    return hs__error(d->ctx, HS_ERR_CORRUPT,
                                     "XML Type-%u record, field %u.%03u (element %s, line %ld): "
                                     "value not in the expected form",
                                     r->type, r->type, e->field, (const char *)leaf->name,
                                     xmlGetLineNo(leaf));
                mark(leaf);
                if (w->len == item_start)
                    continue; /* an empty element: no value */
                any = true;
                last_end = w->len;
            }
        }
        if (!any) {
            w->len = start;
            continue;
        }
        w->len = last_end; /* trailing empty items are not written */
        if (e->sel >= SEL_FINGER) {
            /* The position code must be of the element's kind. */
            uint32_t code = 0;
            size_t q = first;
            while (q < w->len && q < first + 3 && w->buf[q] >= '0' && w->buf[q] <= '9')
                code = code * 10 + (uint32_t)(w->buf[q++] - '0');
            if (q == first || (q < w->len && w->buf[q] != HS__NIST_US) || !code_fits(e->sel, code))
                return hs__error(d->ctx, HS_ERR_CORRUPT,
                                 "XML Type-%u record, field %u.%03u (line %ld): %s holds a "
                                 "position code of another kind",
                                 r->type, r->type, e->field, xmlGetLineNo(grp),
                                 (const char *)grp->name);
        }
        if (e->sel == SEL_REST && !sub && !*found)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "XML Type-%u record, field %u.%03u (line %ld): %s without the "
                             "element that comes first",
                             r->type, r->type, e->field, xmlGetLineNo(grp),
                             (const char *)grp->name);
        sub++;
    }
    if (e->conv == CV_FGP6 && sub > 6)
        return hs__error(d->ctx, HS_ERR_CORRUPT,
                         "XML Type-%u record: more than six finger positions", r->type);
    for (uint32_t k = sub; e->conv == CV_FGP6 && sub && k < 6; k++)
        hs__wr_bytes(w, "\x1f" "255", 4); /* unused positions */
    *found |= sub > 0;
    return HS_OK;
}

static int cmp_field(const void *a, const void *b)
{
    const hs__nist_field *x = a, *y = b;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* Serialise rec on its own, with every namespace it uses declared on it. */
static hs_status keep_record(xdec *d, hs__nist_record *r, xmlNodePtr rec)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    if (!doc)
        return hs__error(d->ctx, HS_ERR_NOMEM, "XML: out of memory");
    xmlNodePtr copy = xmlDocCopyNode(rec, doc, 1);
    xmlBufferPtr buf = xmlBufferCreate();
    hs_status s = HS_OK;
    if (!copy || !buf) {
        s = hs__error(d->ctx, HS_ERR_NOMEM, "XML: out of memory");
    } else {
        xmlDocSetRootElement(doc, copy);
        xmlReconciliateNs(doc, copy);
        if (xmlNodeDump(buf, doc, copy, 0, 0) < 0) {
            s = hs__error(d->ctx, HS_ERR_NOMEM, "XML: cannot serialise a record");
        } else {
            size_t len = (size_t)xmlBufferLength(buf);
            r->xml = hs__malloc(d->a, len);
            if (!r->xml)
                s = hs__error(d->ctx, HS_ERR_NOMEM, "XML: out of memory");
            else {
                memcpy(r->xml, xmlBufferContent(buf), len);
                r->xml_len = len;
            }
        }
    }
    if (buf)
        xmlBufferFree(buf);
    xmlFreeDoc(doc);
    return s;
}

/* ---- Type-9 standard-format minutiae (itl:Minutiae) ------------------------
 *
 * 9.005 OFR, 9.006 FGP, 9.007 FPC, 9.008 CRP, 9.009 DLT, 9.010 MIN,
 * 9.011 RDG and 9.012 MRC map to itl:Minutiae (the NIST standard block of
 * the 2011 XML), whose elements split some traditional items: MRC's
 * XXXXYYYYTTT is three elements, cores and deltas XXXXYYYY two, and each
 * ridge count "n,c" a MinutiaRidgeCount. Digits are kept as written; on
 * reading, shorter numbers are zero-padded to their traditional width. */

/* The text of child path @p path of @p node, trimmed and marked, into
 * buf (NUL-terminated); false when absent or longer than the buffer. */
static bool leaf_text(xmlNodePtr node, const char *path, char *buf, size_t size)
{
    xmlNodePtr leaf = follow(node, path);
    if (!leaf)
        return false;
    xmlChar *t = xmlNodeGetContent(leaf);
    if (!t)
        return false;
    const char *q = (const char *)t;
    while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
        q++;
    size_t n = strlen(q);
    while (n && (q[n - 1] == ' ' || q[n - 1] == '\n' || q[n - 1] == '\t' || q[n - 1] == '\r'))
        n--;
    bool ok = n < size;
    if (ok) {
        memcpy(buf, q, n);
        buf[n] = 0;
        mark(leaf);
    }
    xmlFree(t);
    return ok;
}

/* A number element as @p width digits (zero-padded), or @p wmax as written
 * (palm coordinates have five digits). */
static bool put_digits(hs__writer *w, xmlNodePtr node, const char *path, size_t width, size_t wmax)
{
    char b[16];
    if (!leaf_text(node, path, b, sizeof b))
        return false;
    size_t n = strlen(b);
    if (n == 0 || n > wmax || !digits(b, n))
        return false;
    for (size_t k = n; k < width; k++)
        hs__wr_u8(w, '0');
    hs__wr_bytes(w, b, n);
    return true;
}

/* The text of node itself (marked); false if not in the traditional form. */
static bool put_content(hs__writer *w, xmlNodePtr node)
{
    xmlChar *t = xmlNodeGetContent(node);
    bool ok = t && convert_in(w, (const char *)t, CV_TEXT);
    xmlFree(t);
    mark(node);
    return ok;
}

static void put_text(hs__writer *w, xmlNodePtr node, const char *path)
{
    char b[256];
    if (leaf_text(node, path, b, sizeof b))
        hs__wr_bytes(w, b, strlen(b));
}

static hs_status std_field(xdec *d, hs__nist_record *r, uint32_t num, hs__writer *w)
{
    if (w->failed)
        return hs__error(d->ctx, HS_ERR_NOMEM, "XML: out of memory");
    hs_status s = w->len ? hs__nist_add_field(d->ctx, d->n, r, num, NULL, w->buf, w->len) : HS_OK;
    w->len = 0;
    return s;
}

/* Vertices (cores, deltas) named @p name below rec as XXXXYYYY subfields. */
static bool read_vertices(hs__writer *w, xmlNodePtr rec, const char *name)
{
    uint32_t k = 0;
    for (xmlNodePtr v = child_named(rec, name, NULL); v; v = child_named(rec, name, v), k++) {
        if (k)
            hs__wr_u8(w, HS__NIST_RS);
        if (!put_digits(w, v, "biom:PositionHorizontalCoordinateValue", 4, 5) ||
            !put_digits(w, v, "biom:PositionVerticalCoordinateValue", 4, 5))
            return false;
    }
    return true;
}

static hs_status read_std_minutiae(xdec *d, hs__nist_record *r, xmlNodePtr rec)
{
    xmlNodePtr m = child_named(rec, "Minutiae", NULL);
    if (!m)
        return HS_OK;
    xmlNodePtr st = child_named(m, "MinutiaeNISTStandard", NULL);
    hs__writer w;
    hs__writer_init(&w, d->a);
    hs_status s = HS_OK;
    bool ok = true;
    xmlNodePtr rs = st ? child_named(st, "MinutiaeReadingSystem", NULL) : NULL;
    if (rs) { /* 9.005 OFR: name, method, subsystem */
        put_text(&w, rs, "biom:ReadingSystemName");
        hs__wr_u8(&w, HS__NIST_US);
        put_text(&w, rs, "biom:ReadingSystemCodingMethodCode");
        size_t before = w.len;
        hs__wr_u8(&w, HS__NIST_US);
        put_text(&w, rs, "biom:ReadingSystemSubsystemIdentification/nc:IdentificationID");
        if (w.len == before + 1)
            w.len = before;
    }
    s = std_field(d, r, 5, &w);
    uint32_t k = 0; /* 9.006 FGP: finger and palm codes in document order */
    for (xmlNodePtr c = m->children; c && !s; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || (!name_eq("MinutiaeFingerPositionCode", c->name) &&
                                            !name_eq("MinutiaePalmPositionCode", c->name)))
            continue;
        if (k++)
            hs__wr_u8(&w, HS__NIST_RS);
        ok &= put_content(&w, c);
    }
    if (!s)
        s = std_field(d, r, 6, &w);
    k = 0; /* 9.007 FPC: source code, then the pattern codes */
    for (xmlNodePtr c = child_named(m, "MinutiaeFingerPatternDetail", NULL); c && !s;
         c = child_named(m, "MinutiaeFingerPatternDetail", c), k++) {
        if (k)
            hs__wr_u8(&w, HS__NIST_RS);
        put_text(&w, c, "itl:FingerPatternCodeSourceCode");
        for (xmlNodePtr q = c->children; q; q = q->next)
            if (q->type == XML_ELEMENT_NODE && (name_eq("FingerPatternCode", q->name) ||
                                                name_eq("FingerPatternText", q->name))) {
                hs__wr_u8(&w, HS__NIST_US);
                ok &= put_content(&w, q);
            }
    }
    if (!s)
        s = std_field(d, r, 7, &w);
    ok &= read_vertices(&w, m, "MinutiaeFingerCorePosition");
    if (!s)
        s = std_field(d, r, 8, &w);
    ok &= read_vertices(&w, m, "MinutiaeFingerDeltaPosition");
    if (!s)
        s = std_field(d, r, 9, &w);
    if (!s && st && follow(st, "biom:MinutiaeQuantity"))
        put_text(&w, st, "biom:MinutiaeQuantity");
    if (!s)
        s = std_field(d, r, 10, &w);
    char b[16];
    if (!s && st && leaf_text(st, "biom:MinutiaeRidgeCountIndicator", b, sizeof b)) {
        bool t = !strcmp(b, "true") || !strcmp(b, "1");
        ok &= t || !strcmp(b, "false") || !strcmp(b, "0");
        hs__wr_u8(&w, t ? '1' : '0');
    }
    if (!s)
        s = std_field(d, r, 11, &w);
    k = 0; /* 9.012 MRC */
    for (xmlNodePtr md = st ? child_named(st, "MinutiaDetail", NULL) : NULL; md && !s && ok;
         md = child_named(st, "MinutiaDetail", md), k++) {
        if (k)
            hs__wr_u8(&w, HS__NIST_RS);
        put_text(&w, md, "biom:MinutiaIdentification/nc:IdentificationID");
        hs__wr_u8(&w, HS__NIST_US);
        ok &= put_digits(&w, md, "biom:PositionHorizontalCoordinateValue", 4, 5) &&
              put_digits(&w, md, "biom:PositionVerticalCoordinateValue", 4, 5) &&
              put_digits(&w, md, "biom:PositionThetaAngleMeasure", 3, 3);
        size_t keep = w.len, at;
        hs__wr_u8(&w, HS__NIST_US);
        at = w.len;
        put_text(&w, md, "biom:MinutiaQualityValue");
        if (w.len > at)
            keep = w.len;
        hs__wr_u8(&w, HS__NIST_US);
        at = w.len;
        put_text(&w, md, "biom:MinutiaCategoryCode");
        if (w.len > at)
            keep = w.len;
        for (xmlNodePtr rc = child_named(md, "MinutiaRidgeCount", NULL); rc;
             rc = child_named(md, "MinutiaRidgeCount", rc)) {
            hs__wr_u8(&w, HS__NIST_US);
            put_text(&w, rc, "biom:RidgeCountReferenceIdentification/nc:IdentificationID");
            hs__wr_u8(&w, ',');
            put_text(&w, rc, "biom:RidgeCountValue");
            keep = w.len;
        }
        w.len = keep; /* no empty trailing items */
    }
    if (!s)
        s = std_field(d, r, 12, &w);
    hs__writer_free(&w);
    if (!s && !ok)
        s = hs__error(d->ctx, HS_ERR_CORRUPT,
                      "XML Type-9 record (line %ld): itl:Minutiae values not in the expected "
                      "form", xmlGetLineNo(m));
    return s;
}

static hs_status read_record(xdec *d, xmlNodePtr rec, uint32_t type)
{
    hs__nist_record *r;
    hs_status s = hs__nist_add_record(d->ctx, d->n, type, &r);
    if (s)
        return s;
    uint32_t ri = d->n->nr - 1;
    hs__writer w;
    hs__writer_init(&w, d->a);
    s = hs__nist_add_field(d->ctx, d->n, r, 1, NULL, "0", 1); /* LEN, computed on output */
    bool found = false; /* adjacent entries of one field add to one value */
    for (size_t i = 0; i < sizeof table / sizeof table[0] && !s; i++) {
        const xentry *e = &table[i];
        if (e->type != type)
            continue;
        bool more = i + 1 < sizeof table / sizeof table[0] && table[i + 1].type == type &&
                    table[i + 1].field == e->field;
        if (type == 1 && e->field == 3) {
            /* CNT: 1 US quantity, then type US IDC per record summary. */
            xmlNodePtr cs = follow(rec, e->group);
            if (!cs)
                continue;
            xmlNodePtr q = follow(cs, "biom:ContentRecordQuantity");
            xmlChar *t = q ? xmlNodeGetContent(q) : NULL;
            hs__wr_bytes(&w, "1\x1f", 2);
            if (t)
                convert_in(&w, (const char *)t, CV_TEXT);
            xmlFree(t);
            for (xmlNodePtr c = cs->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                    continue;
                mark(c);
                if (!name_eq("ContentRecordSummary", c->name))
                    continue;
                xmlNodePtr rt = follow(c, "biom:RecordCategoryCode");
                xmlNodePtr id = follow(c, "biom:ImageReferenceIdentification/nc:IdentificationID");
                xmlChar *a = rt ? xmlNodeGetContent(rt) : NULL;
                xmlChar *b = id ? xmlNodeGetContent(id) : NULL;
                hs__wr_u8(&w, HS__NIST_RS);
                if (a)
                    convert_in(&w, (const char *)a, CV_TEXT);
                hs__wr_u8(&w, HS__NIST_US);
                if (b)
                    convert_in(&w, (const char *)b, CV_TEXT);
                xmlFree(a);
                xmlFree(b);
                if (rt)
                    mark(rt);
                if (id)
                    mark(id);
            }
            found = true;
        } else if (type == 1 && e->field == 2) {
            xmlNodePtr ma = follow(rec, "biom:Transaction/biom:TransactionMajorVersionValue");
            xmlNodePtr mi = follow(rec, "biom:Transaction/biom:TransactionMinorVersionValue");
            if (ma && mi) {
                xmlChar *a = xmlNodeGetContent(ma), *b = xmlNodeGetContent(mi);
                if (a)
                    convert_in(&w, (const char *)a, CV_TEXT);
                if (b)
                    convert_in(&w, (const char *)b, CV_TEXT);
                xmlFree(a);
                xmlFree(b);
                mark(ma);
                mark(mi);
                found = true;
            }
        } else {
            s = read_entry(d, r, rec, e, &w, &found);
        }
        if (!s && w.failed)
            s = hs__error(d->ctx, HS_ERR_NOMEM, "XML: out of memory");
        if (more)
            continue;
        if (!s && found)
            s = hs__nist_add_field(d->ctx, d->n, r, e->field, NULL, w.buf, w.len);
        w.len = 0;
        found = false;
    }
    hs__writer_free(&w);
    if (!s && type == 9)
        s = read_std_minutiae(d, &d->n->r[ri], rec);
    if (s)
        return s;
    r = &d->n->r[ri];
    qsort(r->f, r->nf, sizeof r->f[0], cmp_field);
    xmlNodePtr rcc = follow(rec, "biom:RecordCategoryCode");
    if (rcc)
        mark(rcc);
    r->xml_unmapped = count_unmarked(rec);
    return keep_record(d, r, rec);
}

static void xml_silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

hs_status hs__nist_decode_xml(hs_ctx *ctx, hs_nist *n, const uint8_t *p, size_t size)
{
    if (size > INT32_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "XML: %zu bytes is more than libxml2 reads", size);
    /* Refuse DTDs outright: no entity can then be declared, let alone
     * expanded, and no external subset is fetched. */
    for (size_t i = 0; i + 9 <= size; i++) {
        if (p[i] == '<' && p[i + 1] == '!' && (!memcmp(p + i, "<!DOCTYPE", 9) ||
                                               !memcmp(p + i, "<!ENTITY", 8)))
            return hs__error(ctx, HS_ERR_UNSUPPORTED, "XML: DOCTYPE/ENTITY at offset %zu refused",
                             i);
        if (p[i] == '<' && ((p[i + 1] >= 'A' && p[i + 1] <= 'Z') ||
                            (p[i + 1] >= 'a' && p[i + 1] <= 'z')))
            break; /* the root element: no DTD can follow */
    }
    xmlParserCtxtPtr pc = xmlNewParserCtxt();
    if (!pc)
        return hs__error(ctx, HS_ERR_NOMEM, "XML: cannot create a parser context");
    pc->sax->error = xml_silent;
    pc->sax->warning = xml_silent;
    pc->sax->serror = NULL;
    pc->vctxt.error = xml_silent;
    pc->vctxt.warning = xml_silent;
    /* UTF-8 is imposed (INT-I and ANSI/NIST-ITL XML are UTF-8): other
     * declared encodings would go through libxml2's converters, which report
     * failures on the global error channel, i.e. print. */
    xmlDocPtr doc = xmlCtxtReadMemory(pc, (const char *)p, (int)size, NULL, "UTF-8",
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    hs_status s = HS_OK;
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(pc);
        s = hs__error(ctx, HS_ERR_CORRUPT, "XML: line %d: %s", e ? e->line : 0,
                      e && e->message ? e->message : "malformed\n");
        xmlFreeParserCtxt(pc);
        return s;
    }
    /* Undeclared prefixes are only a namespace error to libxml2; to us the
     * document is malformed (its elements could not be written back). */
    int ns_ok = pc->nsWellFormed;
    xmlFreeParserCtxt(pc);
    if (!ns_ok) {
        xmlFreeDoc(doc);
        return hs__error(ctx, HS_ERR_CORRUPT, "XML: namespace error (an undeclared prefix?)");
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xdec d = { ctx, n, &n->alloc };
    if (!root || !root->ns || strcmp((const char *)root->ns->href, NS_ITL) ||
        strcmp((const char *)root->name, "NISTBiometricInformationExchangePackage")) {
        s = hs__error(ctx, HS_ERR_FORMAT,
                      "XML: the root is not itl:NISTBiometricInformationExchangePackage");
    } else if (too_deep(root, 1)) {
        s = hs__error(ctx, HS_ERR_LIMIT, "XML: elements nested deeper than %d", MAX_DEPTH);
    }
    for (xmlNodePtr rec = root ? root->children : NULL; rec && !s; rec = rec->next) {
        if (rec->type != XML_ELEMENT_NODE)
            continue;
        uint32_t type = 0;
        xmlNodePtr rcc = follow(rec, "biom:RecordCategoryCode");
        xmlChar *t = rcc ? xmlNodeGetContent(rcc) : NULL;
        if (t) {
            const char *q = (const char *)t;
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
                q++;
            while (*q >= '0' && *q <= '9' && type < 1000)
                type = type * 10 + (uint32_t)(*q++ - '0');
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
                q++;
            if (*q)
                type = 0;
        }
        xmlFree(t);
        if (type == 0 || type > 99) {
            s = hs__error(ctx, HS_ERR_CORRUPT, "XML line %ld: %s has no RecordCategoryCode 1-99",
                          xmlGetLineNo(rec), (const char *)rec->name);
            break;
        }
        const char *want = record_name(type);
        if (want && strcmp(want, (const char *)rec->name)) {
            s = hs__error(ctx, HS_ERR_CORRUPT, "XML line %ld: %s says RecordCategoryCode %u",
                          xmlGetLineNo(rec), (const char *)rec->name, type);
            break;
        }
        if ((type == 1) != (n->nr == 0)) {
            s = hs__error(ctx, HS_ERR_CORRUPT,
                          "XML line %ld: the Type-1 record must come first, once",
                          xmlGetLineNo(rec));
            break;
        }
        s = read_record(&d, rec, type);
    }
    if (!s && n->nr == 0)
        s = hs__error(ctx, HS_ERR_CORRUPT, "XML: no PackageInformationRecord");
    if (!s) {
        /* CNT must list the records that follow. */
        const hs__nist_field *cnt = hs__nist_find(&n->r[0], 3);
        uint32_t count = 0;
        if (!hs__nist_item_u32(cnt, 0, 1, &count) || count != n->nr - 1)
            s = hs__error(ctx, HS_ERR_CORRUPT,
                          "XML: TransactionContentSummary says %u records, the package has %u",
                          count, n->nr - 1);
        for (uint32_t i = 1; !s && i < n->nr; i++) {
            uint32_t t = 0, idc;
            if (!hs__nist_item_u32(cnt, i, 1, &idc))
                s = hs__error(ctx, HS_ERR_CORRUPT,
                              "XML: ContentRecordSummary %u has no numeric IDC", i);
            else if (!hs__nist_item_u32(cnt, i, 0, &t) || t != n->r[i].type)
                s = hs__error(ctx, HS_ERR_CORRUPT,
                              "XML: ContentRecordSummary %u says Type-%u, record %u is Type-%u",
                              i, t, i + 1, n->r[i].type);
        }
    }
    xmlFreeDoc(doc);
    return s;
}

/* ---- writing ------------------------------------------------------------- */

static xmlNsPtr ns_for(xmlNsPtr *ns, const char *path)
{
    if (!strncmp(path, "itl:", 4))
        return ns[0];
    if (!strncmp(path, "biom:", 5))
        return ns[1];
    if (!strncmp(path, "nc:", 3))
        return ns[2];
    return ns[3];
}

/* Create the path below node: every step but the last reuses an existing
 * child of that name (new_last: the last step too). */
static xmlNodePtr make_path(xmlNodePtr node, xmlNsPtr *ns, const char *path, bool new_last)
{
    while (node && *path) {
        char local[96];
        const char *next;
        unsigned nth;
        step(path, local, sizeof local, &next, &nth);
        xmlNodePtr c = nth ? child_nth(node, local, nth)
                           : (*next || !new_last) ? child_named(node, local, NULL) : NULL;
        if (!c)
            c = xmlNewChild(node, ns_for(ns, path), BAD_CAST local, NULL);
        node = c;
        path = next;
    }
    return node;
}

static bool set_text(xmlNodePtr node, const uint8_t *p, size_t n, uint8_t conv, hs__writer *tmp)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    tmp->len = 0;
    if (conv == CV_DATE && n == 8) {
        hs__wr_bytes(tmp, p, 4);
        hs__wr_u8(tmp, '-');
        hs__wr_bytes(tmp, p + 4, 2);
        hs__wr_u8(tmp, '-');
        hs__wr_bytes(tmp, p + 6, 2);
    } else if (conv == CV_DATETIME && n == 15) {
        hs__wr_bytes(tmp, p, 4);
        hs__wr_u8(tmp, '-');
        hs__wr_bytes(tmp, p + 4, 2);
        hs__wr_u8(tmp, '-');
        hs__wr_bytes(tmp, p + 6, 2);
        hs__wr_u8(tmp, 'T');
        hs__wr_bytes(tmp, p + 8, 2);
        hs__wr_u8(tmp, ':');
        hs__wr_bytes(tmp, p + 10, 2);
        hs__wr_u8(tmp, ':');
        hs__wr_bytes(tmp, p + 12, 3);
    } else if (conv == CV_BOOL_FMT) {
        const char *v = n == 1 && p[0] == 'S' ? "true" : "false";
        hs__wr_bytes(tmp, v, strlen(v));
    } else if (conv == CV_YES && n == 1 && (p[0] == 'Y' || p[0] == 'N')) {
        const char *v = p[0] == 'Y' ? "true" : "false";
        hs__wr_bytes(tmp, v, strlen(v));
    } else if (conv == CV_BASE64) {
        for (size_t i = 0; i < n; i += 3) {
            uint32_t v = (uint32_t)p[i] << 16;
            if (i + 1 < n)
                v |= (uint32_t)p[i + 1] << 8;
            if (i + 2 < n)
                v |= p[i + 2];
            hs__wr_u8(tmp, (uint8_t)b64[(v >> 18) & 63]);
            hs__wr_u8(tmp, (uint8_t)b64[(v >> 12) & 63]);
            hs__wr_u8(tmp, (uint8_t)(i + 1 < n ? b64[(v >> 6) & 63] : '='));
            hs__wr_u8(tmp, (uint8_t)(i + 2 < n ? b64[v & 63] : '='));
        }
    } else {
        hs__wr_bytes(tmp, p, n);
    }
    hs__wr_u8(tmp, 0);
    if (tmp->failed)
        return false;
    /* xmlNodeAddContent escapes markup characters. */
    xmlNodeAddContent(node, tmp->buf);
    return true;
}

/* Whether a traditional value can become the text of an element and be
 * read back the same: UTF-8 of XML 1.0 characters (no CR, which parsers
 * turn into LF), and the form a converted value needs. */
static bool xml_value_ok(const uint8_t *p, size_t n, uint8_t conv)
{
    if (conv == CV_BASE64)
        return true;
    if (conv == CV_DATE)
        return n == 8 && digits((const char *)p, 8);
    if (conv == CV_DATETIME)
        return n == 15 && digits((const char *)p, 14) && p[14] == 'Z';
    if (conv == CV_BOOL_FMT)
        return n == 1 && (p[0] == 'S' || p[0] == 'U');
    if (conv == CV_YES)
        return n == 1 && (p[0] == 'Y' || p[0] == 'N' || p[0] == '1' || p[0] == '0');
    if (conv == CV_ZERO)
        return n == 1 && p[0] == '0';
    if (conv == CV_POLY) { /* x,y pairs of digits joined by '-' */
        size_t i = 0;
        while (i < n) {
            size_t a = i;
            while (i < n && p[i] >= '0' && p[i] <= '9')
                i++;
            if (i == a || i >= n || p[i++] != ',')
                return false;
            a = i;
            while (i < n && p[i] >= '0' && p[i] <= '9')
                i++;
            if (i == a || (i < n && p[i] != '-') || (i < n && ++i == n))
                return false;
        }
        return n > 0;
    }
    if (n && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n' || p[n - 1] == ' ' ||
              p[n - 1] == '\t' || p[n - 1] == '\n'))
        return false; /* the reader trims the ends */
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t len = hs__utf8_decode(p + i, n - i, &c);
        if (!len || c == 0xFFFE || c == 0xFFFF || (c < 0x20 && c != '\t' && c != '\n'))
            return false;
        i += len;
    }
    return true;
}

/* Whether another entry of the same field takes the value in its form
 * (a field written as one of two elements, such as a date or a time). */
static bool alternate_fits(const xentry *e, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (&table[i] != e && table[i].type == e->type && table[i].field == e->field &&
            e->sel == SEL_ANY && table[i].sel == SEL_ANY && xml_value_ok(p, n, table[i].conv))
            return true;
    return false;
}

static bool field_mapped(uint32_t type, uint32_t num)
{
    if (num == 1 || (type == 9 && num >= 5 && num <= 12)) /* 9.005-.012: itl:Minutiae */
        return true;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].type == type && table[i].field == num)
            return true;
    return false;
}

/* One element of text p[0..n) at path below node (a new last element when
 * @p again). */
static bool put_leaf(xmlNodePtr node, xmlNsPtr *ns, const char *path, const uint8_t *p,
                     size_t n, bool again, hs__writer *tmp)
{
    xmlNodePtr leaf = make_path(node, ns, path, again);
    return leaf && set_text(leaf, p, n, CV_TEXT, tmp);
}

/* Whether item (si, ii) of f is n digits (n 0: any text XML can hold). */
static bool item_is(const hs__nist_field *f, uint32_t si, uint32_t ii, size_t n,
                    const uint8_t **p, size_t *len)
{
    if (!f || !hs__nist_item_span(f->val, f->len, si, ii, p, len))
        return false;
    return n ? *len == n && digits((const char *)*p, n) : xml_value_ok(*p, *len, CV_TEXT);
}

static uint32_t subfields(const hs__nist_field *f)
{
    uint32_t n = f && f->len ? 1 : 0;
    for (size_t k = 0; f && k < f->len; k++)
        n += f->val[k] == HS__NIST_RS;
    return n;
}

/* 9.005-9.012 as itl:Minutiae (see read_std_minutiae). A value that does
 * not have its traditional form is refused unless HS_NIST_ALLOW_LOSS, which
 * drops it. */
static hs_status gen_std_minutiae(hs_ctx *ctx, xmlNodePtr rec, xmlNsPtr *ns,
                                  const hs__nist_record *r, uint32_t ri, hs__writer *tmp,
                                  uint32_t flags)
{
    const hs__nist_field *f[13] = { 0 };
    bool any = false;
    for (uint32_t k = 5; k <= 12; k++)
        any |= (f[k] = hs__nist_find(r, k)) != NULL;
    if (!any)
        return HS_OK;
    bool loss = (flags & HS_NIST_ALLOW_LOSS) != 0, bad = false;
    const uint8_t *p, *q;
    size_t n, m;
#define NOMEM hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory")
    xmlNodePtr mi = make_path(rec, ns, "itl:Minutiae", false);
    xmlNodePtr st = mi ? make_path(mi, ns, "itl:MinutiaeNISTStandard", false) : NULL;
    if (!st)
        return NOMEM;
    for (uint32_t si = 0; si < subfields(f[12]); si++) {
        /* XXXXYYYYTTT, or XXXXXYYYYYTTT for palms */
        if ((!item_is(f[12], si, 1, 11, &p, &n) && !item_is(f[12], si, 1, 13, &p, &n)) ||
            !item_is(f[12], si, 0, 0, &q, &m)) {
            bad = true;
            continue;
        }
        size_t c = (n - 3) / 2;
        xmlNodePtr md = xmlNewChild(st, ns[0], BAD_CAST "MinutiaDetail", NULL);
        if (!md || !put_leaf(md, ns, "biom:PositionHorizontalCoordinateValue", p, c, false, tmp) ||
            !put_leaf(md, ns, "biom:PositionVerticalCoordinateValue", p + c, c, false, tmp) ||
            !put_leaf(md, ns, "biom:MinutiaIdentification/nc:IdentificationID", q, m, false,
                      tmp) ||
            !put_leaf(md, ns, "biom:PositionThetaAngleMeasure", p + 2 * c, 3, false, tmp))
            return NOMEM;
        if (item_is(f[12], si, 2, 0, &q, &m) && m &&
            !put_leaf(md, ns, "biom:MinutiaQualityValue", q, m, false, tmp))
            return NOMEM;
        if (item_is(f[12], si, 3, 0, &q, &m) && m &&
            !put_leaf(md, ns, "biom:MinutiaCategoryCode", q, m, false, tmp))
            return NOMEM;
        for (uint32_t ii = 4; hs__nist_item_span(f[12]->val, f[12]->len, si, ii, &q, &m); ii++) {
            const uint8_t *comma = m ? memchr(q, ',', m) : NULL;
            if (!comma || comma == q || (size_t)(comma - q) + 1 >= m ||
                !xml_value_ok(q, (size_t)(comma - q), CV_TEXT) ||
                !xml_value_ok(comma + 1, m - (size_t)(comma - q) - 1, CV_TEXT)) {
                bad = true;
                continue;
            }
            xmlNodePtr rc = xmlNewChild(md, ns[1], BAD_CAST "MinutiaRidgeCount", NULL);
            if (!rc ||
                !put_leaf(rc, ns, "biom:RidgeCountReferenceIdentification/nc:IdentificationID",
                          q, (size_t)(comma - q), false, tmp) ||
                !put_leaf(rc, ns, "biom:RidgeCountValue", comma + 1,
                          m - (size_t)(comma - q) - 1, false, tmp))
                return NOMEM;
        }
    }
    if (item_is(f[10], 0, 0, 0, &p, &n) &&
        !put_leaf(st, ns, "biom:MinutiaeQuantity", p, n, false, tmp))
        return NOMEM;
    if (f[5]) {
        static const char *const ofr[3] = { "biom:ReadingSystemName",
                                            "biom:ReadingSystemCodingMethodCode",
                                            "biom:ReadingSystemSubsystemIdentification/nc:IdentificationID" };
        xmlNodePtr rs = make_path(st, ns, "biom:MinutiaeReadingSystem", false);
        if (!rs)
            return NOMEM;
        static const int order[3] = { 1, 0, 2 }; /* schema order */
        for (int k = 0; k < 3; k++)
            if (item_is(f[5], 0, (uint32_t)order[k], 0, &p, &n) && n &&
                !put_leaf(rs, ns, ofr[order[k]], p, n, false, tmp))
                return NOMEM;
        bad |= subfields(f[5]) > 1 || hs__nist_item_span(f[5]->val, f[5]->len, 0, 3, &p, &n);
    }
    if (f[11]) {
        bool on = f[11]->len == 1 && f[11]->val[0] == '1';
        bad |= !(f[11]->len == 1 && (f[11]->val[0] == '0' || on));
        if (!put_leaf(st, ns, "biom:MinutiaeRidgeCountIndicator",
                      (const uint8_t *)(on ? "true" : "false"), on ? 4 : 5, false, tmp))
            return NOMEM;
    }
    for (uint32_t k = 8; k <= 9; k++)
        for (uint32_t si = 0; si < subfields(f[k]); si++) {
            if (!item_is(f[k], si, 0, 8, &p, &n) && !item_is(f[k], si, 0, 10, &p, &n)) {
                bad = true;
                continue;
            }
            xmlNodePtr v = xmlNewChild(mi, ns[1], BAD_CAST(k == 8 ? "MinutiaeFingerCorePosition"
                                                                   : "MinutiaeFingerDeltaPosition"),
                                       NULL);
            if (!v || !put_leaf(v, ns, "biom:PositionHorizontalCoordinateValue", p, n / 2, false, tmp) ||
                !put_leaf(v, ns, "biom:PositionVerticalCoordinateValue", p + n / 2, n / 2, false,
                          tmp))
                return NOMEM;
        }
    for (uint32_t si = 0; si < subfields(f[7]); si++) {
        if (!item_is(f[7], si, 0, 1, &p, &n) && !item_is(f[7], si, 0, 0, &p, &n)) {
            bad = true;
            continue;
        }
        bool text = !(n == 1 && p[0] == 'T');
        xmlNodePtr pd = xmlNewChild(mi, ns[0], BAD_CAST "MinutiaeFingerPatternDetail", NULL);
        if (!pd || !put_leaf(pd, ns, "itl:FingerPatternCodeSourceCode", p, n, false, tmp))
            return NOMEM;
        for (uint32_t ii = 1; item_is(f[7], si, ii, 0, &q, &m); ii++)
            if (!put_leaf(pd, ns, text ? "biom:FingerPatternText" : "biom:FingerPatternCode", q,
                          m, true, tmp))
                return NOMEM;
    }
    /* FGP: finger codes, then palm codes (20-38, 81-86), as the schema
     * orders them; a palm code before a finger code cannot keep its place. */
    bool palm_seen = false;
    for (uint32_t si = 0; si < subfields(f[6]); si++) {
        uint32_t code;
        if (!item_is(f[6], si, 0, 0, &p, &n) || !hs__nist_item_u32(f[6], si, 0, &code)) {
            bad = true;
            continue;
        }
        bool palm = (code >= 20 && code <= 38) || (code >= 81 && code <= 86);
        bad |= palm_seen && !palm;
        palm_seen |= palm;
    }
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t si = 0; si < subfields(f[6]); si++) {
            uint32_t code;
            if (!item_is(f[6], si, 0, 0, &p, &n) || !hs__nist_item_u32(f[6], si, 0, &code))
                continue;
            bool palm = (code >= 20 && code <= 38) || (code >= 81 && code <= 86);
            if (palm == (pass == 1) &&
                !put_leaf(mi, ns, palm ? "biom:MinutiaePalmPositionCode"
                                       : "biom:MinutiaeFingerPositionCode",
                          p, n, true, tmp))
                return NOMEM;
        }
#undef NOMEM
    if (bad && !loss)
        return hs__error(ctx, HS_ERR_UNSUPPORTED,
                         "record %u: Type-9 standard-format minutiae (9.005-9.012) not in the "
                         "form itl:Minutiae holds (HS_NIST_ALLOW_LOSS drops what does not fit)",
                         ri + 1);
    return HS_OK;
}

#define NTABLE (sizeof table / sizeof table[0])

/* Whether subfield sfi of f is of the kind entry e writes (SEL_*). */
static bool sel_match(const xentry *e, const hs__nist_field *f, uint32_t sfi)
{
    uint32_t c;
    switch (e->sel) {
    case SEL_FIRST:
        return sfi == 0;
    case SEL_REST:
        return sfi > 0;
    case SEL_FINGER:
    case SEL_PALM:
    case SEL_PLANTAR:
        return hs__nist_item_u32(f, sfi, 0, &c) && code_fits(e->sel, c);
    default:
        return true;
    }
}

static uint8_t item_conv(const xentry *e, int k)
{
    return e->items[k].conv ? e->items[k].conv : e->conv;
}

/* Whether every non-empty item of subfield sfi has an element in e. */
static bool sub_fits(const xentry *e, const hs__nist_field *f, uint32_t sfi)
{
    const uint8_t *p;
    size_t len;
    for (uint32_t ii = 0; hs__nist_item_span(f->val, f->len, sfi, ii, &p, &len); ii++) {
        bool mapped = len == 0;
        for (int k = 0; k < XITEMS && e->items[k].path && !mapped; k++)
            mapped = e->items[k].item == ii;
        if (!mapped)
            return false;
    }
    return true;
}

/* The n-th (1-based) element at path group below rec (earlier steps: the
 * first of their name). */
static xmlNodePtr group_nth(xmlNodePtr rec, const char *group, unsigned n)
{
    xmlNodePtr node = rec;
    while (node && *group) {
        char local[96];
        const char *next;
        step(group, local, sizeof local, &next, NULL);
        node = *next ? child_named(node, local, NULL) : child_nth(node, local, n);
        group = next;
    }
    return node;
}

/* "x,y-x,y-..." (checked by xml_value_ok) as biom:ImageSegmentVertex
 * elements of node. */
static bool put_vertices(xmlNodePtr node, xmlNsPtr *ns, const uint8_t *p, size_t n,
                         hs__writer *tmp)
{
    size_t i = 0;
    while (i < n) {
        size_t a = i;
        while (p[i] != ',')
            i++;
        size_t b = ++i;
        while (i < n && p[i] != '-')
            i++;
        xmlNodePtr v = xmlNewChild(node, ns[1], BAD_CAST "ImageSegmentVertex", NULL);
        if (!v || !put_leaf(v, ns, HC, p + a, b - 1 - a, false, tmp) ||
            !put_leaf(v, ns, VC, p + b, i - b, false, tmp))
            return false;
        i++;
    }
    return true;
}

/* Table entry ti for field f of record r (see the table's comments). */
static hs_status gen_entry(hs_ctx *ctx, xmlNodePtr rec, xmlNsPtr *ns, const hs__nist_record *r,
                           uint32_t ri, const hs__nist_field *f, size_t ti, hs__writer *tmp,
                           uint32_t flags)
{
    const xentry *e = &table[ti];
    bool loss = (flags & HS_NIST_ALLOW_LOSS) != 0;
    uint32_t subs = 1;
    if (e->conv != CV_BASE64)
        for (size_t k = 0; k < f->len; k++)
            subs += f->val[k] == HS__NIST_RS;
    /* Subfields repeat the group element, except in Type-1, whose groups
     * are shared containers of single values. */
    bool repeat = r->type != 1 && (e->items[0].path[0] == 0 || e->items[1].path != NULL ||
                                   (e->flags & XF_REPEAT));
    if (e->sel != SEL_ANY && (ti == 0 || table[ti - 1].type != e->type ||
                              table[ti - 1].field != e->field)) {
        /* A field of several kinds (first entry): every subfield has one,
         * in the order of the entries (the schema's). */
        size_t last = ti;
        for (uint32_t sfi = 0; sfi < subs; sfi++) {
            size_t k = ti;
            while (k < NTABLE && table[k].type == e->type && table[k].field == e->field &&
                   !sel_match(&table[k], f, sfi))
                k++;
            bool none = !(k < NTABLE && table[k].type == e->type && table[k].field == e->field);
            if ((none || k < last) && !loss)
                return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                 "record %u: field %u.%03u subfield %u %s (HS_NIST_ALLOW_LOSS "
                                 "drops or reorders it)",
                                 ri + 1, r->type, e->field, sfi + 1,
                                 none ? "has no XML element here"
                                      : "comes after one that the XML puts later");
            if (!none)
                last = k;
        }
    }
    if (e->conv != CV_BASE64) {
        bool extra = !repeat && subs > 1;
        for (uint32_t sfi = 0; sfi < subs && !extra; sfi++)
            extra = sel_match(e, f, sfi) && !sub_fits(e, f, sfi);
        if (extra && !loss)
            return hs__error(ctx, HS_ERR_UNSUPPORTED,
                             "record %u: field %u.%03u has more subfields or items than its "
                             "XML elements hold (HS_NIST_ALLOW_LOSS drops them)",
                             ri + 1, r->type, e->field);
        if (!repeat)
            subs = 1;
    }
    if (e->sel == SEL_REST && ti > 0 && table[ti - 1].sel == SEL_FIRST &&
        !follow(rec, table[ti - 1].group) && subs > 1) {
        /* The rest without the first subfield's element (9.138 RCI items
         * without the method) would not read back. */
        if (loss)
            return HS_OK;
        return hs__error(ctx, HS_ERR_UNSUPPORTED,
                         "record %u: field %u.%03u has no first subfield for the XML to hold "
                         "the others (HS_NIST_ALLOW_LOSS drops them)",
                         ri + 1, r->type, e->field);
    }
    uint32_t made = 0;
    for (uint32_t sfi = 0; sfi < subs; sfi++) {
        if (!sel_match(e, f, sfi))
            continue;
        xmlNodePtr grp = NULL;
        if (e->flags & XF_SAME_GROUPS) {
            grp = group_nth(rec, e->group, sfi + 1);
            if (!grp && loss)
                continue;
            if (!grp)
                return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                 "record %u: field %u.%03u subfield %u has no element of the "
                                 "field it belongs to (%s)",
                                 ri + 1, r->type, e->field, sfi + 1, e->group);
        }
        uint32_t done = 0; /* items written (an item may have two forms) */
        bool deferred = false;
        for (int k = 0; k < XITEMS && e->items[k].path; k++) {
            const xitem *it = &e->items[k];
            uint8_t conv = item_conv(e, k);
            const uint8_t *p;
            size_t len;
            if (e->conv == CV_BASE64) {
                p = f->val;
                len = f->len;
            } else if (!hs__nist_item_span(f->val, f->len, sfi, it->item, &p, &len) ||
                       len == 0) {
                continue;
            }
            if (it->item < 32 && ((done >> it->item) & 1))
                continue;
            if (!xml_value_ok(p, len, conv)) {
                bool other = false;
                for (int k2 = k + 1; k2 < XITEMS && e->items[k2].path; k2++)
                    other |= e->items[k2].item == it->item &&
                             xml_value_ok(p, len, item_conv(e, k2));
                if (other)
                    continue;
                if (alternate_fits(e, p, len)) {
                    deferred = true;
                    break; /* another entry of the field writes it */
                }
                if (loss)
                    continue;
                return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                 "record %u: field %u.%03u item %u cannot be written as XML "
                                 "(a control character, invalid UTF-8, white space at an end, "
                                 "or not the date, time, indicator, polygon or filler form the "
                                 "element needs)",
                                 ri + 1, r->type, e->field, it->item + 1);
            }
            if (it->item < 32)
                done |= 1u << it->item;
            if (conv == CV_ZERO)
                continue;
            if (!grp) {
                grp = make_path(rec, ns, e->group, repeat && made > 0);
                made++;
            }
            xmlNodePtr leaf = it->path[0] ? make_path(grp, ns, it->path, false) : grp;
            if (!leaf || !(conv == CV_POLY ? put_vertices(leaf, ns, p, len, tmp)
                                           : set_text(leaf, p, len, conv, tmp)))
                return hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory");
        }
        if (done && !grp && !deferred && !loss)
            /* Only fillers: nothing would be written, the value not read back. */
            return hs__error(ctx, HS_ERR_UNSUPPORTED,
                             "record %u: field %u.%03u subfield %u holds only filler items, "
                             "which have no element (HS_NIST_ALLOW_LOSS drops it)",
                             ri + 1, r->type, e->field, sfi + 1);
    }
    return HS_OK;
}

static hs_status gen_record(hs_ctx *ctx, xmlNodePtr root, xmlNsPtr *ns, const hs_nist *n,
                            uint32_t ri, hs__writer *tmp, uint32_t flags)
{
    const hs__nist_record *r = &n->r[ri];
    const char *name = record_name(r->type);
    xmlNodePtr rec = xmlNewChild(root, ns[0], BAD_CAST name, NULL);
    if (!rec)
        return hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory");
    char num[16];
    snprintf(num, sizeof num, "%u", r->type);
    xmlNewChild(rec, ns[1], BAD_CAST "RecordCategoryCode", BAD_CAST num);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const xentry *e = &table[i];
        if (e->type != r->type)
            continue;
        if (r->type == 1 && e->field == 3) {
            const hs__nist_field *cntf = hs__nist_find(r, 3);
            bool cnt_kept = cntf != NULL;
            uint32_t v1, v2;
            const uint8_t *xp;
            size_t xl;
            if (cnt_kept)
                cnt_kept = hs__nist_item_u32(cntf, 0, 0, &v1) && v1 == 1 &&
                           hs__nist_item_u32(cntf, 0, 1, &v2) && v2 == n->nr - 1 &&
                           !hs__nist_item_span(cntf->val, cntf->len, n->nr, 0, &xp, &xl);
            for (uint32_t k = 1; cnt_kept && k < n->nr; k++)
                cnt_kept = hs__nist_item_u32(cntf, k, 0, &v1) && v1 == n->r[k].type &&
                           hs__nist_item_u32(cntf, k, 1, &v2) &&
                           !hs__nist_item_span(cntf->val, cntf->len, k, 2, &xp, &xl);
            xmlNodePtr cs = make_path(rec, ns, e->group, false);
            xmlNewChild(cs, ns[1], BAD_CAST "ContentFirstRecordCategoryCode", BAD_CAST "1");
            snprintf(num, sizeof num, "%u", n->nr - 1);
            xmlNewChild(cs, ns[1], BAD_CAST "ContentRecordQuantity", BAD_CAST num);
            for (uint32_t k = 1; k < n->nr; k++) {
                xmlNodePtr sum = xmlNewChild(cs, ns[1], BAD_CAST "ContentRecordSummary", NULL);
                /* The IDC as the stored CNT gives it when that lists the
                 * records in order (as the traditional writer keeps it),
                 * else as the record spells it ("00" or "0"). */
                const hs__nist_field *idf = hs__nist_find(&n->r[k], 2);
                const uint8_t *ip = idf ? idf->val : (const uint8_t *)"0";
                size_t il = idf ? idf->len : 1;
                uint32_t idv;
                if (cnt_kept) {
                    hs__nist_item_span(cntf->val, cntf->len, k, 1, &ip, &il);
                } else if (idf && !hs__nist_item_u32(idf, 0, 0, &idv)) {
                    return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                     "record %u: IDC (.002) is not a number; the XML content "
                                     "summary needs one", k + 1);
                }
                xmlNodePtr iri = xmlNewChild(sum, ns[1], BAD_CAST "ImageReferenceIdentification", NULL);
                xmlNodePtr id = xmlNewChild(iri, ns[2], BAD_CAST "IdentificationID", NULL);
                if (!id || !set_text(id, ip, il, CV_TEXT, tmp))
                    return hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory");
                snprintf(num, sizeof num, "%u", n->r[k].type);
                xmlNewChild(sum, ns[1], BAD_CAST "RecordCategoryCode", BAD_CAST num);
            }
            continue;
        }
        const hs__nist_field *f = hs__nist_find(r, e->field);
        if (e->field == 999) /* the image is the last .999 (docs/nist.md) */
            for (uint32_t k = 0; k < r->nf; k++)
                if (r->f[k].num == 999)
                    f = &r->f[k];
        if (!f)
            continue;
        if (r->type == 1 && e->field == 2) {
            if (f->len != 4 || !digits((const char *)f->val, 4))
                return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                 "field 1.002 VER is not four digits; the XML encoding splits "
                                 "it into major and minor version numbers");
            {
                xmlNodePtr t = make_path(rec, ns, "biom:Transaction", false);
                xmlNodePtr a = xmlNewChild(t, ns[1], BAD_CAST "TransactionMajorVersionValue", NULL);
                xmlNodePtr b = xmlNewChild(t, ns[1], BAD_CAST "TransactionMinorVersionValue", NULL);
                if (!a || !b || !set_text(a, f->val, 2, CV_TEXT, tmp) ||
                    !set_text(b, f->val + 2, 2, CV_TEXT, tmp))
                    return hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory");
            }
            continue;
        }
        if (e->conv == CV_FGP6) {
            /* The six FGP items: one element per position, 255 = unused. */
            const uint8_t *xp;
            size_t xl;
            uint32_t written = 0, code;
            bool gap = false, bad = hs__nist_item_span(f->val, f->len, 1, 0, &xp, &xl);
            for (uint32_t k = 0; k < 6 && !bad; k++) {
                if (!hs__nist_item_u32(f, 0, k, &code) || code > 255) {
                    bad = true;
                } else if (code == 255) {
                    gap = true;
                } else if (gap && !(flags & HS_NIST_ALLOW_LOSS)) {
                    bad = true;
                } else {
                    xmlNodePtr leaf = make_path(rec, ns, e->group, written > 0);
                    char c[8];
                    int cl = snprintf(c, sizeof c, "%u", code);
                    if (!leaf || !set_text(leaf, (const uint8_t *)c, (size_t)cl, CV_TEXT, tmp))
                        return hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory");
                    written++;
                }
            }
            if (bad || written == 0)
                return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                 "record %u: field %u.%03u is not six positions with the unused "
                                 "ones (255) last, as the XML position list needs",
                                 ri + 1, r->type, e->field);
            continue;
        }
        hs_status gs = gen_entry(ctx, rec, ns, r, ri, f, i, tmp, flags);
        if (gs)
            return gs;
    }
    return r->type == 9 ? gen_std_minutiae(ctx, rec, ns, r, ri, tmp, flags) : HS_OK;
}

hs_status hs__nist_encode_xml(hs_ctx *ctx, hs__writer *w, const hs_nist *n, uint32_t flags)
{
    if (n->nr == 0 || n->r[0].type != 1)
        return hs__error(ctx, HS_ERR_CORRUPT, "transaction: the first record is not Type-1");
    for (uint32_t i = 0; i < n->nr; i++) {
        const hs__nist_record *r = &n->r[i];
        if (r->xml)
            continue;
        if (!record_name(r->type))
            return hs__error(ctx, HS_ERR_UNSUPPORTED,
                             "record %u: Type-%u records have no XML encoding here", i + 1,
                             r->type);
        if (flags & HS_NIST_ALLOW_LOSS)
            continue;
        for (uint32_t k = 0; k < r->nf; k++)
            for (uint32_t j = k + 1; j < r->nf; j++)
                if (r->f[j].num == r->f[k].num)
                    return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                     "record %u: field %u.%03u appears twice; XML holds one "
                                     "(HS_NIST_ALLOW_LOSS keeps the first, or the last .999)",
                                     i + 1, r->type, r->f[k].num);
        for (uint32_t k = 0; k < r->nf; k++)
            if (!field_mapped(r->type, r->f[k].num) &&
                !(r->type == 1 && r->f[k].num == 3))
                return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                 "record %u: field %u.%03u has no XML element here "
                                 "(HS_NIST_ALLOW_LOSS drops it)",
                                 i + 1, r->type, r->f[k].num);
    }
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = doc ? xmlNewNode(NULL, BAD_CAST "NISTBiometricInformationExchangePackage")
                          : NULL;
    hs__writer tmp;
    hs__writer_init(&tmp, &n->alloc);
    hs_status s = HS_OK;
    xmlNsPtr ns[4] = { NULL, NULL, NULL, NULL };
    if (root) {
        xmlDocSetRootElement(doc, root);
        ns[0] = xmlNewNs(root, BAD_CAST NS_ITL, BAD_CAST "itl");
        ns[1] = xmlNewNs(root, BAD_CAST NS_BIOM, BAD_CAST "biom");
        ns[2] = xmlNewNs(root, BAD_CAST NS_NC, BAD_CAST "nc");
        ns[3] = xmlNewNs(root, BAD_CAST NS_INTI, BAD_CAST "int-i");
        xmlSetNs(root, ns[0]);
    }
    if (!root || !ns[0] || !ns[1] || !ns[2] || !ns[3])
        s = hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory");
    /* Generated records are built in the tree; kept ones are spliced in as
     * text at a placeholder comment, so that their bytes stay theirs. */
    for (uint32_t i = 0; i < n->nr && !s; i++) {
        if (n->r[i].xml) {
            char mark_text[32];
            snprintf(mark_text, sizeof mark_text, "hs-keep-%u", i);
            if (!xmlAddChild(root, xmlNewDocComment(doc, BAD_CAST mark_text)))
                s = hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory");
        } else {
            s = gen_record(ctx, root, ns, n, i, &tmp, flags);
        }
    }
    xmlChar *out = NULL;
    int outlen = 0;
    if (!s) {
        xmlDocDumpFormatMemoryEnc(doc, &out, &outlen, "UTF-8", 1);
        if (!out)
            s = hs__error(ctx, HS_ERR_NOMEM, "XML: cannot serialise the document");
    }
    if (!s) {
        const char *o = (const char *)out;
        size_t len = (size_t)outlen, pos = 0;
        while (pos < len) {
            const char *m = strstr(o + pos, "<!--hs-keep-");
            if (!m) {
                hs__wr_bytes(w, o + pos, len - pos);
                break;
            }
            hs__wr_bytes(w, o + pos, (size_t)(m - (o + pos)));
            unsigned idx = 0;
            const char *q = m + 12;
            while (*q >= '0' && *q <= '9')
                idx = idx * 10 + (unsigned)(*q++ - '0');
            if (idx < n->nr && n->r[idx].xml)
                hs__wr_bytes(w, n->r[idx].xml, n->r[idx].xml_len);
            const char *end = strstr(q, "-->");
            pos = end ? (size_t)(end + 3 - o) : len;
        }
        if (w->failed)
            s = hs__error(ctx, HS_ERR_NOMEM, "XML: out of memory");
    }
    if (out)
        xmlFree(out);
    hs__writer_free(&tmp);
    if (doc)
        xmlFreeDoc(doc);
    return s;
}
